"""The crosswalk's row digests stay what they were: steward decisions name links by key and
fingerprint, so a digest computed differently would send every decided link back to the
queue and rewrite every row of the city at the next sync. Migration 011 made the
fingerprint cover a link's evidence levels only (identity_link_basis in SQL) and kept the
old digest of every content column as the checksum."""

from __future__ import annotations

from dataclasses import replace

from connectors.base import Source
from hub.identity.store import finding_rows, link_rows
from identity.crosswalk import Link
from identity.findings import Finding, Rule
from identity.kinds import IdentifierKind, LinkMethod, LinkStatus

_MATCHED = Link(
    IdentifierKind.PHONE,
    "081234567890",
    Source.ANTRIAN,
    "tiket:17",
    "3671010101900001",
    LinkMethod.MATCHED,
    0.4,
    "phone given in psb",
    False,
    LinkStatus.SUGGESTED,
    "name agrees 0.92",
)
_EXACT = Link(
    IdentifierKind.NISN,
    "0051234567",
    Source.PSB,
    "pendaftar:2024-1",
    "3671010101900001",
    LinkMethod.EXACT,
    1.0,
    None,
    True,
)
_FINDINGS = [
    Finding(
        Source.SIAK,
        Rule.NIK_BIRTH_DATE,
        "penduduk:3671",
        "3671010101900001",
        "birth date differs",
    ),
    Finding(Source.ANTRIAN, Rule.PHONE_UNMATCHED, "tiket:9", None, "no one"),
]


def test_link_and_finding_digests_are_those_of_earlier_syncs() -> None:
    # Keys and checksums: computed by the sync before its rows were built on demand
    # (commit a793cf1), as keys and fingerprints; fingerprints: migration 011's.
    links = link_rows([_MATCHED, _EXACT])
    assert [tuple(d.hex() for d in row) for row in links.digests] == [
        ("28f5c7274acc92257fe1a6a0f9653815", "7b2398a7afcc5a22", "9f89ee617c453310"),
        ("7e52be3bb1f46d2ddccb5cc81bae0d23", "9c77aa32748bec96", "5a34e68a1017fc5e"),
    ]
    findings = finding_rows(_FINDINGS)
    assert [tuple(d.hex() for d in row) for row in findings.digests] == [
        ("4b052e3c33a1efe9126b9323f6e69577", "c2df53189d05e045"),
        ("fa663f7a6889f55c7a108bf830906c8c", "280ae01282e6fc85"),
    ]


def test_a_rejected_link_is_left_out_and_content_follows_its_digest() -> None:
    every = link_rows([_MATCHED, _EXACT])
    rejected = every.digests[0][0]
    rows = every.without({rejected})
    assert rows.digests == every.digests[1:]
    assert rows.content(0) == (
        "NISN",
        "0051234567",
        "psb",
        "pendaftar:2024-1",
        "3671010101900001",
        "EXACT",
        1.0,
        None,
        True,
        "CERTAIN",
        None,
    )


def test_a_walk_ins_fingerprint_leaves_out_the_re_learnt_weights_not_its_levels() -> None:
    said = (
        "walk-in by phone: gives the phone (weight +{0}), same name (weight +{1}); probability {2}"
    )
    walk_in = replace(_MATCHED, confidence=0.83, evidence=said.format("13.1", "4.2", "0.830"))
    relearnt = replace(walk_in, confidence=0.91, evidence=said.format("12.7", "4.9", "0.912"))
    minor = replace(
        walk_in, evidence=walk_in.evidence.replace("gives the phone", "17, on the card")
    )
    (key, fingerprint, checksum), again, other = (
        link_rows([link]).digests[0] for link in (walk_in, relearnt, minor)
    )
    assert again[:2] == (key, fingerprint)  # a decision on it holds
    assert again[2] != checksum  # yet the new numbers are written
    assert other[1] != fingerprint  # another comparison level: the decision lapses
