"""Which OAuth scope each field of the graph needs (DESIGN.md, "Access").

A field not listed needs no scope of its own beyond being reached. The table is
the whole policy for partners; citizen tokens add the rule of ``schema.execution.policy``
that they see their own data and their children's school admissions only.
"""

from __future__ import annotations

PROFILE = "siak:profile"
SENSITIVE = "siak:sensitive"
FAMILY = "siak:family"
IDENTITY = "identity:resolve"
STEWARD = "identity:steward"
AUDIT = "audit:read"

# The catalogue of scopes itself is the authorization server's: hub.auth.scopes.SCOPES.
FIELD_SCOPES: dict[tuple[str, str], str] = {
    ("Query", "family"): FAMILY,
    ("Query", "resolveIdentity"): IDENTITY,
    ("Query", "identityReviewQueue"): STEWARD,
    ("Query", "identityReviewItem"): STEWARD,
    ("Citizen", "fullName"): PROFILE,
    ("Citizen", "birthPlace"): PROFILE,
    ("Citizen", "birthDate"): PROFILE,
    ("Citizen", "sex"): PROFILE,
    ("Citizen", "occupation"): PROFILE,
    ("Citizen", "address"): PROFILE,
    ("Citizen", "deceased"): PROFILE,
    ("Citizen", "diedOn"): PROFILE,
    ("Citizen", "religion"): SENSITIVE,
    ("Citizen", "maritalStatus"): SENSITIVE,
    ("Citizen", "family"): FAMILY,
    ("Citizen", "schoolAdmissions"): "psb:read",
    ("Citizen", "civilServiceApplications"): "cpns:read",
    ("Citizen", "employment"): "sikda:read",
    ("Citizen", "assetsHeld"): "sipbd:read",
    ("Citizen", "procurementRoles"): "lpse:read",
    ("Citizen", "districtRequests"): "apk:read",
    ("Citizen", "queueTickets"): "antrian:read",
    ("Citizen", "identifiers"): IDENTITY,
    ("Citizen", "accessLog"): AUDIT,
    ("Citizen", "accessHistory"): AUDIT,
    ("Citizen", "accessSummary"): AUDIT,
    ("Mutation", "bookQueueTicket"): "antrian:write",
    ("Mutation", "cancelQueueTicket"): "antrian:write",
    ("Mutation", "submitDistrictRequest"): "apk:write",
    ("Mutation", "acceptIdentityLink"): STEWARD,
    ("Mutation", "rejectIdentityLink"): STEWARD,
    ("Subscription", "queueTicket"): "antrian:read",
    ("Subscription", "districtRequest"): "apk:read",
}

# What an anonymous caller may ask: the schema itself (GraphiQL's docs; _service is
# the same SDL as Federation gateways read it) and the public catalogues, which hold
# no personal data.
ANONYMOUS_ROOT_FIELDS = frozenset(
    {
        "__schema",
        "__type",
        "__typename",
        "_service",
        "serviceCentres",
        "districtServiceTypes",
        "sources",
    }
)

# The data steward's review queue: links in doubt, with the NIKs they point at.
STEWARD_ROOT_FIELDS = frozenset(
    {"identityReviewQueue", "identityReviewItem", "acceptIdentityLink", "rejectIdentityLink"}
)

# Citizen fields a citizen token may read about its own children (through its KK).
CHILD_FIELDS = frozenset({"nik", "id", "fullName", "schoolAdmissions", "__typename"})
# Citizen fields a citizen token may read about other members of its own family card.
FAMILY_MEMBER_FIELDS = frozenset({"nik", "id", "fullName", "__typename"})
