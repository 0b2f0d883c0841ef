"""APK (Aplikasi Pelayanan Kecamatan): service requests to the 13 kecamatan offices.

Requests are linked to a citizen by the applicant's NIK; walk-in staff and the
online form both store it as typed, with the applicant's phone.
"""

from connectors.base import Source

SOURCE = Source.APK
