"""SIKDa's rows as plain typed records, with the legacy codes turned into enums."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date


class EmploymentStatus(enum.Enum):
    """status kepegawaian."""

    PNS = "PNS"
    """pegawai negeri sipil: a career civil servant (a CPNS in the first year)."""
    PPPK = "PPPK"
    """pegawai pemerintah dengan perjanjian kerja: a civil servant on contract."""


class PositionType(enum.Enum):
    """jenis jabatan."""

    STRUCTURAL = "1"
    """struktural: heads of OPD, bidang, seksi; camat and lurah."""
    FUNCTIONAL = "2"
    """fungsional tertentu: teachers, nurses, auditors… with a jenjang by rank."""
    GENERAL = "4"
    """fungsional umum (pelaksana): administrative and operational staff."""


class Rank(enum.Enum):
    """golongan ruang and its pangkat: PNS I/a–IV/e, PPPK golongan I–XVII."""

    JURU_MUDA = "I/a"
    JURU_MUDA_TINGKAT_I = "I/b"
    JURU = "I/c"
    JURU_TINGKAT_I = "I/d"
    PENGATUR_MUDA = "II/a"
    PENGATUR_MUDA_TINGKAT_I = "II/b"
    PENGATUR = "II/c"
    PENGATUR_TINGKAT_I = "II/d"
    PENATA_MUDA = "III/a"
    PENATA_MUDA_TINGKAT_I = "III/b"
    PENATA = "III/c"
    PENATA_TINGKAT_I = "III/d"
    PEMBINA = "IV/a"
    PEMBINA_TINGKAT_I = "IV/b"
    PEMBINA_UTAMA_MUDA = "IV/c"
    PEMBINA_UTAMA_MADYA = "IV/d"
    PEMBINA_UTAMA = "IV/e"
    PPPK_I = "I"
    PPPK_II = "II"
    PPPK_III = "III"
    PPPK_IV = "IV"
    PPPK_V = "V"
    PPPK_VI = "VI"
    PPPK_VII = "VII"
    PPPK_VIII = "VIII"
    PPPK_IX = "IX"
    PPPK_X = "X"
    PPPK_XI = "XI"
    PPPK_XII = "XII"
    PPPK_XIII = "XIII"
    PPPK_XIV = "XIV"
    PPPK_XV = "XV"
    PPPK_XVI = "XVI"
    PPPK_XVII = "XVII"

    @property
    def golongan(self) -> str:
        """The golongan as printed: "III/a", or "IX" for a PPPK."""
        return str(self.value)

    @property
    def title(self) -> str:
        """The pangkat name: "Penata Muda Tingkat I"; PPPK golongan have none but their number."""
        if self.name.startswith("PPPK_"):
            return f"PPPK Golongan {self.value}"
        return " ".join(w if w == "I" else w.capitalize() for w in self.name.split("_"))


@dataclass(frozen=True, slots=True)
class RankHistoryEntry:
    """riwayat pangkat: a golongan held since a date, by a decree (nomor SK)."""

    rank: Rank
    since: date
    decree_number: str | None


@dataclass(frozen=True, slots=True)
class PositionHistoryEntry:
    """riwayat jabatan: a position held in a unit since a date."""

    position: str
    position_type: PositionType
    unit: str
    since: date


@dataclass(frozen=True, slots=True)
class CivilServant:
    """A PNS or PPPK of the city government, with their rank and position history, oldest first.

    ``cpns_start`` (TMT CPNS) and ``pns_start`` (TMT PNS) are ``None`` for PPPK,
    whose contract starts on ``pppk_start``; ``pns_start`` is ``None`` for a CPNS
    still in their first year.
    """

    nip: str
    nik: str
    name: str
    title_before: str | None  # gelar depan: "dr."
    title_after: str | None  # gelar belakang: "S.Pd."
    status: EmploymentStatus
    rank: Rank
    rank_since: date
    position: str
    position_type: PositionType
    position_since: date
    unit: str
    unit_code: str
    cpns_start: date | None
    pns_start: date | None
    pppk_start: date | None
    phone: str | None  # normalised to 08…
    rank_history: tuple[RankHistoryEntry, ...]
    position_history: tuple[PositionHistoryEntry, ...]
