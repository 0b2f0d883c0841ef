"""LPSE: the city's e-procurement system (Layanan Pengadaan Secara Elektronik).

Vendors (penyedia) known by NPWP, the people who run or own them (pengurus,
known by NIK), procurement packages (paket), bids (peserta) and winners.
"""

from connectors.base import Source

SOURCE = Source.LPSE
