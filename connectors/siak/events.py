"""The register's events, written into SIAK's rows: deaths, card changes, second registrations.

:mod:`connectors.planting` decides who died, who left a family card and who was
registered twice; this writes it the way SIAK holds it: a ``kematian`` row with the
date, a new ``keluarga`` card with the person moved to it (``penduduk.no_kk``,
``anggota_keluarga``) and the move in ``riwayat_kk``, a second ``penduduk`` row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from connectors.base import SeedRows
    from connectors.planting import Planted


def record_events(siak: SeedRows, planted: Planted) -> None:
    """Add ``planted``'s deaths, card changes and second registrations to SIAK's rows."""
    penduduk = siak.tables["penduduk"]
    nik_at = penduduk.columns.index("nik")
    index = {row[nik_at]: i for i, row in enumerate(penduduk.rows)}
    for serial, (nik, died) in enumerate(sorted(planted.deaths), start=1):
        certificate = f"3671-KM-{died:%d%m%Y}-{serial:05d}"
        siak.tables["kematian"].rows.append((nik, died, certificate))
    if planted.moves:
        _move(siak, planted, index)
    for nik, second in sorted(planted.duplicates.items()):
        penduduk.rows.append((second, *penduduk.rows[index[nik]][1:]))


def _move(siak: SeedRows, planted: Planted, index: dict[str, int]) -> None:
    penduduk, keluarga = siak.tables["penduduk"], siak.tables["keluarga"]
    anggota = siak.tables["anggota_keluarga"]
    cards = {row[0]: row for row in keluarga.rows}
    members = {(row[0], row[1]): i for i, row in enumerate(anggota.rows)}
    for nik, old, new, since, reason in planted.moves:
        penduduk.replace(index[nik], "no_kk", new)
        card = cards[old]
        keluarga.rows.append((new, nik, *card[2:7], since))
        anggota.rows[members[old, nik]] = (new, nik, "KEPALA KELUARGA", 1)
        siak.tables["riwayat_kk"].rows.append((nik, old, new, since, reason))
