"""Name similarity: one name however products write it; two people's names apart."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from identity.names import _TITLES, CLEARLY_DIFFERENT, clearly_different, name_similarity

# Words of a name: a title ("DRA", "HJ") is dropped by design, so it is no name's word here.
word = st.from_regex(r"[A-Z]{3,9}", fullmatch=True).filter(lambda w: w not in _TITLES)
words = st.lists(word, min_size=1, max_size=4)


@given(words, st.randoms(use_true_random=False))
def test_case_order_punctuation_and_titles_do_not_matter(parts: list[str], rnd: object) -> None:
    name = " ".join(parts)
    shuffled = list(parts)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    written = "Hj. " + ", ".join(p.title() for p in shuffled) + ", S.Pd."
    assert name_similarity(name, written) == 1.0
    assert not clearly_different(name, written)


@given(words, words)
def test_similarity_is_symmetric_and_bounded(a: list[str], b: list[str]) -> None:
    left, right = " ".join(a), " ".join(b)
    assert name_similarity(left, right) == name_similarity(right, left)
    assert 0.0 <= name_similarity(left, right) <= 1.0


@pytest.mark.parametrize(
    ("a", "b", "different"),
    [
        ("SITI AMINAH", "Siti Aminah", False),
        ("BUDI SANTOSO", "BUDI SANTOS", False),  # a typo
        ("BUDI SANTOSO", "DEWI LESTARI", True),
        ("AHMAD FAUZI", "RINA KARTIKA SARI", True),
        ("", "BUDI", True),
    ],
)
def test_clearly_different_names(a: str, b: str, different: bool) -> None:
    assert clearly_different(a, b) is different
    assert (name_similarity(a, b) < CLEARLY_DIFFERENT) is different


@pytest.mark.parametrize(
    ("register", "written"),
    [
        ("MUHAMMAD FAJAR", "M. Fajar"),
        ("MUHAMMAD FAJAR", "Mochammad Fajar"),
        ("MUHAMMAD FAJAR", "MOH. FAJAR"),
        ("MUHAMMAD FAJAR", "Muhamad Fajar"),
        ("NUR AINI", "NURAINI"),
        ("SITI AMINAH", "Siti Aminah binti Ahmad"),
        ("AHMAD FAUZI", "Ahmad Fauzi bin Hasan"),
        ("SITI AMINAH", "S. Aminah"),
        ("BUDI SANTOSO", "H. Budi Santoso, S.Pd."),
        ("DEWI LESTARI", "Hj. Dr. Dewi Lestari"),
    ],
)
def test_indonesian_ways_of_writing_one_name_are_the_same_name(register: str, written: str) -> None:
    assert name_similarity(register, written) >= 0.85
    assert not clearly_different(register, written)


@pytest.mark.parametrize(
    ("a", "b"),
    [("MUHAMMAD FAJAR", "MUHAMMAD RIZKI"), ("SITI AMINAH", "SRI WAHYUNI"), ("M. FAJAR", "DEWI")],
)
def test_a_shared_first_name_or_initial_does_not_make_two_people_one(a: str, b: str) -> None:
    assert name_similarity(a, b) < 0.85
