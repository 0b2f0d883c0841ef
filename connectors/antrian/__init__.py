"""Antrian: the queue system of the Mal Pelayanan Publik (MPP) Kota Tangerang.

Service centres (gerai), the services each offers (layanan), their counters
(loket) and the queue tickets (tiket), booked online with a NIK or taken at the
kiosk, often with only a phone number.
"""

from connectors.base import Source

SOURCE = Source.ANTRIAN
