"""The bench's answer check: a row PostGraphile serves and the hub withholds as in doubt
is told apart from a real difference."""

from __future__ import annotations

from typing import Any

from bench.shapes import compare

NIK = "3671012210830001"


def _hub(admissions: list[str]) -> dict[str, Any]:
    citizen = {
        "nik": NIK,
        "schoolAdmissions": [{"registrationNumber": n} for n in admissions],
        "civilServiceApplications": [],
        "employment": None,
        "assetsHeld": [],
        "procurementRoles": [],
        "districtRequests": [],
        "queueTickets": [],
    }
    return {"data": {"citizen": citizen}}


def _pgl(admissions: list[str]) -> dict[str, Any]:
    citizen: dict[str, Any] = {
        "nik": NIK,
        "schoolAdmissions": {"nodes": [{"noPendaftaran": n} for n in admissions]},
        "civilServiceApplications": {"nodes": []},
        "employment": None,
        "procurementRoles": {"nodes": []},
        "districtRequests": {"nodes": []},
        "queueTickets": {"nodes": []},
        "walkInTickets": {"nodes": []},
    }
    return {"data": {"pendudukByNik": citizen}}


def test_a_row_withheld_as_in_doubt_still_matches() -> None:
    hub, pgl = _hub(["SD-1"]), _pgl(["SD-1", "SD-2"])
    assert compare("one", hub, pgl, {NIK: {"SD-2"}})


def test_a_missing_row_not_in_doubt_is_a_mismatch() -> None:
    hub, pgl = _hub(["SD-1"]), _pgl(["SD-1", "SD-2"])
    assert not compare("one", hub, pgl, {NIK: {"SD-3"}})
    assert not compare("one", hub, pgl)
