"""How alike two people's names are, as the products spell them.

Products write one name differently: "SITI AMINAH" in SIAK, "Siti Aminah" in
SIKDa, "Hj. Siti Aminah, S.Pd." on a form. :func:`name_similarity` ignores case,
punctuation, honorifics and academic titles and the order of the words, and
tolerates a typo; two names below :data:`CLEARLY_DIFFERENT` are taken to be two
people.

Indonesian registers also write one name in ways a typo measure calls different,
and these are read as the same: the spellings of Muhammad (Muhamad, Mochammad,
Moh., M.), a patronymic added or dropped ("bin Ahmad", "binti Ahmad"), a first
name cut to its initial ("S. Aminah"), and words run together or apart ("Nur
Aini", "Nuraini").
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from functools import lru_cache

# Below this, two names are not one person's name spelled differently.
CLEARLY_DIFFERENT = 0.5
# At or above this, a name confirms a match (a walk-in who gave their name).
SAME_NAME = 0.85

_NOT_LETTERS = re.compile(r"[^A-Z ]+")
# Honorifics and academic titles, as they appear before or after names on forms.
_TITLES = frozenset(
    {"H", "HJ", "DR", "DRS", "DRA", "IR", "PROF", "ST", "SE", "SH", "SPD", "SKOM", "SKM", "SSOS"}
    | {"SIP", "SAP", "SPSI", "SKED", "SKEP", "AMD", "MM", "MSI", "MPD", "MH", "MT", "MKES"}
)
# The ways registers spell Muhammad, the commonest first name, and its abbreviations.
_MUHAMMAD = frozenset(
    {"MUHAMMAD", "MUHAMAD", "MUHAMMED", "MOHAMMAD", "MOHAMAD", "MOHAMMED", "MOCHAMMAD"}
    | {"MOCHAMAD", "MUCHAMMAD", "MUCHAMAD", "MUHAMMAT", "MOCH", "MOH", "MUH", "MHD", "MUHD"}
)
# "bin X" / "binti X": the father's name after the person's, which some records keep.
_PATRONYMIC = frozenset({"BIN", "BINTI", "BT", "BINT"})


@lru_cache(maxsize=1 << 16)
def normalised(name: str) -> str:
    """Upper case, letters only, titles and patronymic dropped, Muhammad spelled one way,
    words sorted: the name's comparable form."""
    return " ".join(sorted(_words(name)))


@lru_cache(maxsize=1 << 16)
def _words(name: str) -> tuple[str, ...]:
    """The name's words in written order, as :func:`normalised` compares them."""
    text = name.upper().replace(".", "").replace(",", " ")
    words: list[str] = []
    for word in _NOT_LETTERS.sub(" ", text).split():
        if word in _PATRONYMIC and words:
            break  # what follows is the father's name
        if word in _TITLES:
            continue
        words.append("MUHAMMAD" if word in _MUHAMMAD else word)
    # A leading "M" is Muhammad cut short, the way forms abbreviate it.
    if len(words) > 1 and words[0] == "M":
        words[0] = "MUHAMMAD"
    return tuple(words)


def name_similarity(a: str, b: str) -> float:
    """0 (nothing alike) to 1 (the same name, however written)."""
    matcher = _matcher(a, b)
    if isinstance(matcher, float):
        return matcher
    together = _run_together(a, b)
    return max(matcher.ratio(), together if isinstance(together, float) else together.ratio())


def at_least(a: str, b: str, threshold: float) -> bool:
    """Whether ``name_similarity(a, b) >= threshold``, settled by the cheap upper bounds
    first: most pairs of different names never need the full ratio."""
    matcher = _matcher(a, b)
    if isinstance(matcher, float):
        return matcher >= threshold
    return _reaches(matcher, threshold) or _reaches(_run_together(a, b), threshold)


def _reaches(matcher: SequenceMatcher[str] | float, threshold: float) -> bool:
    if isinstance(matcher, float):
        return matcher >= threshold
    return (
        matcher.real_quick_ratio() >= threshold
        and matcher.quick_ratio() >= threshold
        and matcher.ratio() >= threshold
    )


def clearly_different(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` cannot be one person's name written two ways."""
    return not at_least(a, b, CLEARLY_DIFFERENT)


def _matcher(a: str, b: str) -> SequenceMatcher[str] | float:
    """The similarity when it is plain (same or empty names), else a matcher to compute it."""
    if a == b:
        return 1.0 if a.strip() else 0.0
    left, right = _with_initials(_words(a), _words(b)), _with_initials(_words(b), _words(a))
    left_text, right_text = " ".join(sorted(left)), " ".join(sorted(right))
    if left_text == right_text:
        return 1.0 if left_text else 0.0
    if not left_text or not right_text:
        return 0.0
    # SequenceMatcher is not symmetric; a fixed order makes the similarity so.
    first, second = sorted((left_text, right_text))
    return SequenceMatcher(None, first, second, autojunk=False)


def _with_initials(words: tuple[str, ...], other: tuple[str, ...]) -> tuple[str, ...]:
    """``words`` with each initial ("S") spelled as the word of ``other`` it abbreviates."""
    if all(len(w) > 1 for w in words):
        return words
    spelled = list(words)
    unused = [w for w in other if len(w) > 1 and w not in words]
    for i, word in enumerate(words):
        if len(word) == 1:
            full = next((w for w in unused if w[0] == word), None)
            if full is not None:
                spelled[i] = full
                unused.remove(full)
    return tuple(spelled)


def _run_together(a: str, b: str) -> SequenceMatcher[str] | float:
    """As :func:`_matcher`, for the names with their words run together in written
    order: "NUR AINI" and "NURAINI" are one name; sorting the words would hide it."""
    left, right = "".join(_words(a)), "".join(_words(b))
    if not left or not right:
        return 0.0
    if left == right:
        return 1.0
    first, second = sorted((left, right))
    return SequenceMatcher(None, first, second, autojunk=False)
