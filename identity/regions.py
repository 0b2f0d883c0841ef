"""Region codes that appear in NIKs and KK numbers (Kemendagri codes)."""

from __future__ import annotations

PROVINCES: dict[str, str] = {
    "11": "Aceh",
    "12": "Sumatera Utara",
    "13": "Sumatera Barat",
    "14": "Riau",
    "15": "Jambi",
    "16": "Sumatera Selatan",
    "17": "Bengkulu",
    "18": "Lampung",
    "19": "Kepulauan Bangka Belitung",
    "21": "Kepulauan Riau",
    "31": "DKI Jakarta",
    "32": "Jawa Barat",
    "33": "Jawa Tengah",
    "34": "DI Yogyakarta",
    "35": "Jawa Timur",
    "36": "Banten",
    "51": "Bali",
    "52": "Nusa Tenggara Barat",
    "53": "Nusa Tenggara Timur",
    "61": "Kalimantan Barat",
    "62": "Kalimantan Tengah",
    "63": "Kalimantan Selatan",
    "64": "Kalimantan Timur",
    "65": "Kalimantan Utara",
    "71": "Sulawesi Utara",
    "72": "Sulawesi Tengah",
    "73": "Sulawesi Selatan",
    "74": "Sulawesi Tenggara",
    "75": "Gorontalo",
    "76": "Sulawesi Barat",
    "81": "Maluku",
    "82": "Maluku Utara",
    "91": "Papua",
    "92": "Papua Barat",
    "93": "Papua Selatan",
    "94": "Papua Tengah",
    "95": "Papua Pegunungan",
    "96": "Papua Barat Daya",
}

KOTA_TANGERANG = "3671"
KABUPATEN_TANGERANG = "3603"
TANGERANG_SELATAN = "3674"

# The 13 kecamatan of Kota Tangerang, keyed by their two-digit code, with a few
# kelurahan each (the product rows only need believable names, not all 104).
KECAMATAN: dict[str, str] = {
    "01": "Tangerang",
    "02": "Jatiuwung",
    "03": "Batuceper",
    "04": "Benda",
    "05": "Cipondoh",
    "06": "Ciledug",
    "07": "Karawaci",
    "08": "Periuk",
    "09": "Cibodas",
    "10": "Neglasari",
    "11": "Pinang",
    "12": "Karang Tengah",
    "13": "Larangan",
}

KELURAHAN: dict[str, tuple[str, ...]] = {
    "01": ("Babakan", "Buaran Indah", "Cikokol", "Kelapa Indah", "Sukasari", "Sukaasih"),
    "02": ("Alam Jaya", "Gandasari", "Jatake", "Keroncong", "Manis Jaya", "Pasir Jaya"),
    "03": ("Batuceper", "Batujaya", "Batusari", "Kebon Besar", "Poris Gaga", "Poris Jaya"),
    "04": ("Belendung", "Benda", "Jurumudi", "Jurumudi Baru", "Pajang"),
    "05": ("Cipondoh", "Cipondoh Indah", "Gondrong", "Kenanga", "Ketapang", "Poris Plawad"),
    "06": ("Ciledug", "Parung Serab", "Paninggilan", "Sudimara Barat", "Tajur"),
    "07": ("Bojong Jaya", "Cimone", "Karawaci", "Nusa Jaya", "Pabuaran", "Sumur Pancing"),
    "08": ("Gebang Raya", "Gembor", "Periuk", "Periuk Jaya", "Sangiang Jaya"),
    "09": ("Cibodas", "Cibodas Baru", "Cibodasari", "Jatiuwung", "Panunggangan Barat"),
    "10": ("Karang Anyar", "Karang Sari", "Kedaung Baru", "Kedaung Wetan", "Mekarsari"),
    "11": ("Cipete", "Kunciran", "Kunciran Indah", "Nerogtog", "Panunggangan", "Pinang"),
    "12": ("Karang Mulya", "Karang Tengah", "Karang Timur", "Parung Jaya", "Pedurenan"),
    "13": ("Cipadu", "Cipadu Jaya", "Gaga", "Kreo", "Larangan Indah", "Larangan Utara"),
}

# Regencies and cities outside Kota Tangerang that the synthetic city draws
# applicants from, with a few kecamatan codes each.
NEIGHBOURS: dict[str, tuple[str, ...]] = {
    KABUPATEN_TANGERANG: ("01", "02", "05", "10", "16", "21", "26"),
    TANGERANG_SELATAN: ("01", "02", "03", "04", "05", "06", "07"),
}

# Regency/city codes known per province, checked when a NIK's region is read.
# Only Banten is listed exhaustively; elsewhere any 01–79 regency and 71–99 city
# code is accepted, since the hub meets migrants from every province.
BANTEN_REGENCIES: dict[str, str] = {
    "01": "Kabupaten Pandeglang",
    "02": "Kabupaten Lebak",
    "03": "Kabupaten Tangerang",
    "04": "Kabupaten Serang",
    "71": "Kota Tangerang",
    "72": "Kota Cilegon",
    "73": "Kota Serang",
    "74": "Kota Tangerang Selatan",
}


def region_problem(region: str) -> str | None:
    """What is wrong with a six-digit region code (province, regency/city, kecamatan), if anything.

    NIK and KK numbers both start with one; ``None`` means it is a possible region.
    """
    province, regency, kecamatan = region[0:2], region[2:4], region[4:6]
    if province not in PROVINCES:
        return f"the first two digits are a province code; {province} is none"
    if province == "36" and regency not in BANTEN_REGENCIES:
        return f"36{regency} is no regency or city of Banten"
    if regency == "00" or kecamatan == "00":
        return "the regency and kecamatan codes (digits 3-6) start at 01"
    return None
