"""Record keys shown to a steward or in the sync's report keep only the ends of a long number."""

from __future__ import annotations

from identity.layout import mask_long_numbers


def test_a_nip_in_a_record_key_keeps_its_first_four_and_last_three_digits() -> None:
    assert mask_long_numbers("pegawai:198512012010031001", 9) == "pegawai:1985***********001"


def test_only_runs_as_long_as_asked_are_masked() -> None:
    key = "tiket:A-12345678 ponsel:081234567890"
    assert mask_long_numbers(key, 9) == "tiket:A-12345678 ponsel:0812*****890"
    assert mask_long_numbers(key, 13) == key
