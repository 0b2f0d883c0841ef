"""``sources``: each connector's health and circuit state."""

from __future__ import annotations

import enum

import strawberry

from connectors.base import Source

PRODUCTS: dict[Source, str] = {
    Source.SIAK: "Sistem Informasi Administrasi Kependudukan (population register)",
    Source.PSB: "Penerimaan Siswa Baru online (school admissions)",
    Source.CPNS: "CPNS online (civil-service recruitment)",
    Source.SIKDA: "Sistem Informasi Kepegawaian Daerah (civil-servant personnel)",
    Source.SIPBD: "Sistem Informasi Pengelolaan Barang Daerah (regional assets)",
    Source.LPSE: "Layanan Pengadaan Secara Elektronik (e-procurement)",
    Source.APK: "Aplikasi Pelayanan Kecamatan (district service requests)",
    Source.ANTRIAN: "Antrian Mal Pelayanan Publik (service-centre queue)",
}

SourceSystem = strawberry.enum(Source, name="SourceSystem", description="The eight products.")


@strawberry.enum(description="State of a source's circuit breaker.")
class CircuitState(enum.Enum):
    CLOSED = "closed"
    OPEN = "opened"
    HALF_OPEN = "half-opened"


@strawberry.type(description="One connector's health, as the hub sees it now.")
class SourceStatus:
    system: SourceSystem  # type: ignore[valid-type]
    product: str
    reachable: bool
    latency_ms: float | None
    circuit: CircuitState
