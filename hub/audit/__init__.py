"""The disclosure log: who saw which citizen's data, when and why (UU 27/2022's record).

A row per disclosed citizen per request in the hub database's ``disclosures``
table (``hub/migrations/003_audit.sql``): append-only (a trigger refuses UPDATE,
DELETE and TRUNCATE; the ``citizen_hub_app`` role may only SELECT and INSERT)
and hash-chained (:mod:`hub.audit.chain` documents the encoding), so
``citizen-hub audit verify`` names any altered, removed or reordered row.

For the lead, wiring it in ``create_app`` after the hub pool has migrated::

    pool = await create_audit_pool(settings.hub_dsn)   # acts as citizen_hub_app
    audit = DisclosureLog(pool)                        # or DisclosureLog(app[HUB_POOL])
    ...
    await pool.close()                                 # in the cleanup

    await audit.record(DisclosureRequest(
        request_id: str, client_id: str | None, subject: str | None, purpose: str | None,
        disclosures: Sequence[Disclosure(nik: str, sources: Collection[str],
                                         fields: Collection[str])],
    )) -> None
        # one statement whatever the number of NIKs; repeated NIKs merged;
        # raises schema.errors.AuditUnavailable if not written: return no citizen data
    await audit.access_log(niks: Sequence[str], last: int) -> dict[str, list[DisclosureEntry]]
        # one statement; every NIK is a key, newest first; DisclosureEntry has
        # seq, at, request_id, client_id, subject, purpose, sources, fields
    await audit.verify() -> VerifyResult   # .intact, .rows, .problems[(seq, kind, detail)]
    audit.statements                       # statements sent by record and access_log

``DisclosureLog(pool, timeout=5.0)``: ``timeout`` bounds both getting a
connection and the statement, so a hung database fails the request instead of
holding it.
"""

from hub.audit.chain import GENESIS, row_hash
from hub.audit.log import Disclosure, DisclosureEntry, DisclosureLog, DisclosureRequest
from hub.audit.pool import APP_ROLE, HubPool, create_audit_pool, enter_app_role
from hub.audit.verify import ChainProblem, VerifyResult

__all__ = [
    "APP_ROLE",
    "GENESIS",
    "ChainProblem",
    "Disclosure",
    "DisclosureEntry",
    "DisclosureLog",
    "DisclosureRequest",
    "HubPool",
    "VerifyResult",
    "create_audit_pool",
    "enter_app_role",
    "row_hash",
]
