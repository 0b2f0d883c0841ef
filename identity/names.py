"""How alike two people's names are, as the products spell them.

Products write one name differently: "SITI AMINAH" in SIAK, "Siti Aminah" in
SIKDa, "Hj. Siti Aminah, S.Pd." on a form. :func:`name_similarity` ignores case,
punctuation, honorifics and academic titles and the order of the words, and
tolerates a typo; two names below :data:`CLEARLY_DIFFERENT` are taken to be two
people.
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


@lru_cache(maxsize=1 << 16)
def normalised(name: str) -> str:
    """Upper case, letters only, titles dropped, words sorted: the name's comparable form."""
    text = name.upper().replace(".", "").replace(",", " ")
    words = [w for w in _NOT_LETTERS.sub(" ", text).split() if w not in _TITLES]
    return " ".join(sorted(words))


def name_similarity(a: str, b: str) -> float:
    """0 (nothing alike) to 1 (the same name, however written)."""
    matcher = _matcher(a, b)
    return matcher if isinstance(matcher, float) else matcher.ratio()


def clearly_different(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` cannot be one person's name written two ways."""
    matcher = _matcher(a, b)
    if isinstance(matcher, float):
        return matcher < CLEARLY_DIFFERENT
    # The cheap upper bounds settle most pairs of different names without the full ratio.
    return (
        matcher.real_quick_ratio() < CLEARLY_DIFFERENT
        or matcher.quick_ratio() < CLEARLY_DIFFERENT
        or matcher.ratio() < CLEARLY_DIFFERENT
    )


def _matcher(a: str, b: str) -> SequenceMatcher[str] | float:
    """The similarity when it is plain (same or empty names), else a matcher to compute it."""
    if a == b:
        return 1.0 if a.strip() else 0.0
    left, right = normalised(a), normalised(b)
    if left == right:
        return 1.0 if left else 0.0
    if not left or not right:
        return 0.0
    # SequenceMatcher is not symmetric; a fixed order makes the similarity so.
    first, second = sorted((left, right))
    return SequenceMatcher(None, first, second, autojunk=False)
