"""The two sides' query of the same shape, and the check that they answer the same rows.

The hub asks ``citizen(nik:)`` / ``citizens(niks:)`` with bench.graph's selection;
PostGraphile asks ``pendudukByNik(nik:)`` / ``citizens(niks:)`` (a SQL function of the
replica) for the same fields in the replica's names.
"""

from __future__ import annotations

import re
from typing import Any

# The hub: every product of a citizen; bench.graph's QUERY (the hub's own benchmark)
# asks the same selection.
HUB_SELECTION = """
    nik fullName birthDate sex occupation
    address { street rt rw kelurahan kecamatan }
    schoolAdmissions { registrationNumber level route status score }
    civilServiceApplications { registrationNumber year finalStatus skd { total passed } }
    employment { nip rank golongan position unit status }
    assetsHeld { assetCode name category value condition }
    procurementRoles { role vendor { npwp name } tenders { tenderCode ownerEstimate won } }
    districtRequests { number serviceName status submittedAt }
    queueTickets { number date status service { name } }
"""
HUB_ONE = "query One($nik: NIK!) { citizen(nik: $nik) {" + HUB_SELECTION + "} }"
HUB_BATCH = "query Batch($niks: [NIK!]!) { citizens(niks: $niks) {" + HUB_SELECTION + "} }"

# PostGraphile: the same fields, in the replica's names. Relations come from real FKs or
# the smart-tag FKs of postgraphile/replica_extras.sql; assetsHeld hangs off employment
# (SIPBD knows holders by NIP); walkInTickets is the crosswalk's phone-matched tickets,
# which the hub merges into queueTickets; won is a computed column. Kecamatan names come
# from a code table in the hub's Python, so PostGraphile returns the code.
PGL_FRAGMENT = """
fragment Citizen on Penduduk {
  nik namaLengkap tanggalLahir jenisKelamin pekerjaan
  alamat noRt noRw namaKelurahan kodeKecamatan
  schoolAdmissions { nodes { noPendaftaran jenjang jalur statusSeleksi nilai } }
  civilServiceApplications { nodes { nomorPeserta tahun
    cpnsHasilSeleksiByNomorPeserta { statusAkhir skdTotal lulusSkd } } }
  employment { nip golongan jabatan statusPegawai sikdaUnitKerjaByKodeUnit { namaUnit }
    assetsHeld { nodes { kodeBarang namaBarang kib nilaiPerolehan kondisi } } }
  procurementRoles { nodes { jabatan lpsePenyediaByIdPenyedia { npwp namaPerusahaan
    lpsePesertasByIdPenyedia { nodes { kodeTender won lpsePaketByKodeTender { hps } } } } } }
  districtRequests { nodes { nomorPermohonan statusTerakhir tglPengajuan
    apkJenisLayananByKodeLayanan { nama } } }
  queueTickets { nodes { nomorTiket tanggal status antrianLayananByKodeLayanan { namaLayanan } } }
  walkInTickets { nodes { nomorTiket tanggal status antrianLayananByKodeLayanan { namaLayanan } } }
}
"""
PGL_ONE = PGL_FRAGMENT + "query One($nik: String!) { pendudukByNik(nik: $nik) { ...Citizen } }"
PGL_BATCH = (
    PGL_FRAGMENT
    + "query Batch($niks: [String]!) { citizens(niks: $niks) { nodes { ...Citizen } } }"
)

PRODUCTS = (
    "schoolAdmissions",
    "civilServiceApplications",
    "employment",
    "assetsHeld",
    "procurementRoles",
    "tenders",
    "districtRequests",
    "queueTickets",
)


def hub_rows(c: dict[str, Any]) -> dict[str, list[Any]]:
    emp = c["employment"]
    return {
        "schoolAdmissions": [a["registrationNumber"] for a in c["schoolAdmissions"]],
        "civilServiceApplications": [
            a["registrationNumber"] for a in c["civilServiceApplications"]
        ],
        "employment": [emp["nip"]] if emp else [],
        "assetsHeld": [a["assetCode"] for a in c["assetsHeld"]],
        "procurementRoles": [re.sub(r"\D", "", r["vendor"]["npwp"]) for r in c["procurementRoles"]],
        "tenders": [
            (t["tenderCode"], t["won"]) for r in c["procurementRoles"] for t in r["tenders"]
        ],
        "districtRequests": [r["number"] for r in c["districtRequests"]],
        "queueTickets": [(t["number"], t["date"]) for t in c["queueTickets"]],
    }


def pgl_rows(c: dict[str, Any]) -> dict[str, list[Any]]:
    emp = c["employment"]
    roles = c["procurementRoles"]["nodes"]
    tickets = c["queueTickets"]["nodes"] + c["walkInTickets"]["nodes"]
    return {
        "schoolAdmissions": [a["noPendaftaran"] for a in c["schoolAdmissions"]["nodes"]],
        "civilServiceApplications": [
            a["nomorPeserta"] for a in c["civilServiceApplications"]["nodes"]
        ],
        "employment": [emp["nip"]] if emp else [],
        "assetsHeld": [a["kodeBarang"] for a in emp["assetsHeld"]["nodes"]] if emp else [],
        "procurementRoles": [
            re.sub(r"\D", "", r["lpsePenyediaByIdPenyedia"]["npwp"]) for r in roles
        ],
        "tenders": [
            (t["kodeTender"], t["won"])
            for r in roles
            for t in r["lpsePenyediaByIdPenyedia"]["lpsePesertasByIdPenyedia"]["nodes"]
        ],
        "districtRequests": [r["nomorPermohonan"] for r in c["districtRequests"]["nodes"]],
        "queueTickets": [(t["nomorTiket"], t["tanggal"]) for t in tickets],
    }


def compare(
    label: str,
    hub: dict[str, Any],
    pgl: dict[str, Any],
    in_doubt: dict[str, set[str]] | None = None,
) -> bool:
    """Same citizens, same number of rows per product, and the same keys, once the records
    the hub withholds as in doubt (``in_doubt``: keys by NIK) are set aside."""
    if hub.get("errors") or pgl.get("errors"):
        print(f"  MISMATCH {label}: errors hub={hub.get('errors')} pgl={pgl.get('errors')}")
        return False
    hd, pd = hub["data"], pgl["data"]
    hub_list = [hd["citizen"]] if "citizen" in hd else hd["citizens"]
    pgl_list = [pd["pendudukByNik"]] if "pendudukByNik" in pd else pd["citizens"]["nodes"]
    by_hub = {c["nik"]: hub_rows(c) for c in hub_list if c}
    by_pgl = {c["nik"]: pgl_rows(c) for c in pgl_list if c}
    ok = True
    if set(by_hub) != set(by_pgl):
        print(f"  MISMATCH {label}: citizens hub {len(by_hub)} vs PostGraphile {len(by_pgl)}")
        ok = False
    totals = {p: [0, 0] for p in PRODUCTS}
    for nik in sorted(set(by_hub) & set(by_pgl)):
        for p in PRODUCTS:
            h, g = by_hub[nik][p], by_pgl[nik][p]
            doubted = [x for x in g if str(x) in (in_doubt or {}).get(nik, set())]
            if doubted and sorted(map(str, h)) == sorted(str(x) for x in g if x not in doubted):
                print(
                    f"  withheld {label} {nik} {p}: {len(doubted)} in doubt (PostGraphile serves)"
                )
                g = [x for x in g if x not in doubted]
            totals[p][0] += len(h)
            totals[p][1] += len(g)
            if len(h) != len(g):
                print(f"  MISMATCH {label} {nik} {p}: hub {len(h)} rows, PostGraphile {len(g)}")
                ok = False
            elif sorted(map(str, h)) != sorted(map(str, g)):
                print(f"  MISMATCH {label} {nik} {p}: same count, keys differ: {h} vs {g}")
                ok = False
    rows = ", ".join(f"{p} {h}" + ("" if h == g else f"/{g}") for p, (h, g) in totals.items())
    print(f"  {label}: {len(by_hub)} citizens; rows {rows} -> {'MATCH' if ok else 'MISMATCH'}")
    return ok
