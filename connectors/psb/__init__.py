"""PSB (Penerimaan Siswa Baru online): the city's SD and SMP admissions.

Applicants are linked to a citizen by the child's NIK, and to the parents through
the family card number (KK) the parents typed on the form.
"""

from connectors.base import Source

SOURCE = Source.PSB
