"""How people and clerks write a name, a phone and a birth date on a form.

:mod:`connectors.planting` draws from these to write a record the way Indonesian
registers hold it: the person is the same, the writing differs.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import random

_MUHAMMAD_WRITTEN = ("MUHAMAD", "MOCHAMMAD", "MOCH.", "MOH.", "M.", "MOHAMMAD", "MUH.")
_TITLES_BEFORE = {"M": ("H.", "Dr.", "Ir.", "Drs."), "F": ("Hj.", "Dr.", "Dra.")}
_TITLES_AFTER = (", S.Pd.", ", S.E.", ", S.H.", ", S.Kom.", ", A.Md.")
_FATHERS = ("AHMAD", "ABDULLAH", "SAMSUDIN", "HASAN", "SUPARMAN", "JUNAEDI", "RAHMAT")
NAME_VARIANTS = ("muhammad", "title", "patronymic", "initial", "spacing", "case")


def name_variant(rng: random.Random, name: str, sex: str) -> str:
    """``name`` written another way, as registers do (never a different name)."""
    words = name.split()
    kinds = [k for k in NAME_VARIANTS if _applies(k, words)]
    kind = rng.choice(kinds)
    if kind == "muhammad":
        return " ".join((rng.choice(_MUHAMMAD_WRITTEN), *words[1:]))
    if kind == "title":
        if rng.random() < 0.5:
            return f"{rng.choice(_TITLES_BEFORE[sex])} {name}"
        return name.title() + rng.choice(_TITLES_AFTER)
    if kind == "patronymic":
        return f"{name} {'BIN' if sex == 'M' else 'BINTI'} {rng.choice(_FATHERS)}"
    if kind == "initial":
        return " ".join((words[0][0] + ".", *words[1:]))
    if kind == "spacing":
        joined = [i for i in range(len(words) - 1) if len(words[i]) <= 4]
        if joined:
            at = rng.choice(joined)
            return " ".join((*words[:at], words[at] + words[at + 1], *words[at + 2 :]))
        longest = max(range(len(words)), key=lambda i: len(words[i]))
        word = words[longest]
        cut = len(word) // 2
        return " ".join((*words[:longest], word[:cut], word[cut:], *words[longest + 1 :]))
    return name.title()


def _applies(kind: str, words: list[str]) -> bool:
    if kind == "muhammad":
        return words[0] == "MUHAMMAD" and len(words) > 1
    if kind == "initial":
        return len(words) > 2 and words[0] != "MUHAMMAD"
    if kind == "spacing":
        return len(words) > 1 or len(words[0]) >= 6
    return True


def phone_written(rng: random.Random, phone: str) -> str:
    """A canonical ``08…`` phone as people write it on a form, in the less common ways."""
    rest = phone[1:]
    forms = (
        f"({phone[:4]}) {phone[4:8]}-{phone[8:]}",
        f"+62 {phone[:4]}-{phone[4:8]}-{phone[8:]}",
        f"+62 (0){rest[:3]} {rest[3:7]} {rest[7:]}",
        f"{phone[:4]} {phone[4:8]} {phone[8:]}",
        f"{phone[:4]}.{phone[4:8]}.{phone[8:]}",
        rest,
    )
    return rng.choice(forms)


def birth_date_typo(rng: random.Random, born: date) -> date:
    """``born`` mistyped: day and month swapped where both read as a date, else a day or
    a year off."""
    if born.day <= 12 and born.day != born.month and rng.random() < 0.5:
        return born.replace(day=born.month, month=born.day)
    if rng.random() < 0.5:
        return born + timedelta(days=rng.choice((-1, 1)))
    year = born.year + rng.choice((-1, 1))
    return born.replace(year=year, day=min(born.day, 28))
