"""The identity mix-ups APK's front desks make, put into a few requests on purpose.

- ``name_differs_from_siak``: a request filed under a NIK with someone else's name
  (the clerk typed the NIK from the wrong KTP).
- ``phone_of_another_applicant``: an applicant who left another applicant's phone
  (a neighbour's, a relative's), so that phone belongs to two people.

They are drawn from a stream of their own and change rows already written, so
every other row is what it always was; the phones are exported
(``shared_phones``) for Antrian, whose walk-ins give them too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from connectors.mess import conflict_count, stored_plain
from identity.names import clearly_different
from identity.phone import canonical_phone

if TYPE_CHECKING:
    from connectors.base import TableRows
    from connectors.city import City

_NOT_DIGITS = re.compile(r"\D")


@dataclass(slots=True)
class MixUps:
    """What :func:`mix_up` did: how many requests it renamed, which phones it shared."""

    renamed: int = 0
    shared_phones: list[str] = field(default_factory=list)


def mix_up(city: City, permohonan: TableRows) -> MixUps:
    """Rename a few requests and give a few others another applicant's phone, in place."""
    rng = city.rng("apk:identity")
    columns = permohonan.columns
    nik_at, phone_at = columns.index("nik_pemohon"), columns.index("no_hp")
    people = {p.nik: p for p in city.people}
    showcase = {m.nik for f in city.showcase for m in f.members}
    rows = permohonan.rows
    residents = [
        i
        for i, row in enumerate(rows)
        if (nik := _NOT_DIGITS.sub("", row[nik_at])) in people and nik not in showcase
    ]
    count = conflict_count(len(city.people))
    shuffled = rng.sample(residents, len(residents))
    renamed, rest = shuffled[:count], shuffled[count:]
    done = MixUps()
    for i in renamed:
        holder = people[_NOT_DIGITS.sub("", rows[i][nik_at])]
        name = rng.choice(city.people).name
        while not clearly_different(name, holder.name):
            name = rng.choice(city.people).name
        permohonan.replace(i, "nama_pemohon", name)
        done.renamed += 1
    # The taker's own phone was stored plain, so no reformatted row is lost.
    takers = [i for i in rest if stored_plain(rows[i][phone_at])][:count]
    taken = set(takers)
    givers = (i for i in rest if i not in taken and canonical_phone(rows[i][phone_at]))
    for taker in takers:
        giver = next((g for g in givers if rows[g][nik_at] != rows[taker][nik_at]), None)
        if giver is None:
            break
        phone = canonical_phone(rows[giver][phone_at])
        assert phone is not None
        permohonan.replace(taker, "no_hp", phone)
        done.shared_phones.append(phone)
    return done
