"""``citizen-hub counter`` and ``citizen-hub antrian``, run as an operator would, on a copy
of the test city's Antrian database: tickets move waiting → called → served."""

from __future__ import annotations

import asyncio
import secrets
from datetime import date
from typing import Any

import asyncpg
import pytest

from connectors.base import Source
from connectors.registry import CONNECTORS
from connectors.seeding import MARKER, SeedReport, load_source
from hub.cli import main
from hub.embedded import ensure_databases
from tests.conftest import ScratchDatabases, dsn_for

DAY = date(2026, 12, 5)  # a Saturday: only the outlets that open on Saturdays
SERVICE, COUNTER = "MPP04-A", "MPP04-L01"


@pytest.fixture(scope="module")
async def antrian_dsn(
    test_databases: ScratchDatabases, admin_dsn: str, seed_report: SeedReport
) -> str:
    """A copy of the test city's Antrian database, with two tickets waiting on ``DAY``."""
    name = f"chtest_{secrets.token_hex(3)}_counter_antrian"
    test_databases.created += await ensure_databases(admin_dsn, [name])
    dsn = dsn_for(admin_dsn, name)
    assert seed_report.city is not None
    rows = CONNECTORS[Source.ANTRIAN].seeder(seed_report.city, {})
    await load_source(dsn, Source.ANTRIAN, rows, f"{MARKER} counter")
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "INSERT INTO tiket (id_tiket, nomor_tiket, tanggal, kode_layanan, no_hp, status,"
            "                   sumber, waktu_ambil)"
            " SELECT (SELECT max(id_tiket) FROM tiket) + n, 'A-00' || n, $1::date, $2,"
            "        '081200000000', 'MENUNGGU', 'WALKIN',"
            "        $1::date + time '10:00' + n * interval '1 minute'"
            "   FROM generate_series(1, 2) AS n",
            DAY,
            SERVICE,
        )
    finally:
        await conn.close()
    return dsn


@pytest.fixture
def configured(
    city_dsns: dict[Source | str, str], antrian_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> str:
    """The command pointed at the databases through the environment; the Antrian DSN."""
    monkeypatch.delenv("CITIZEN_HUB_CONFIG", raising=False)
    for source in Source:
        monkeypatch.setenv(f"CITIZEN_HUB_{source.name}_DSN", city_dsns[source])
    monkeypatch.setenv("CITIZEN_HUB_ANTRIAN_DSN", antrian_dsn)
    monkeypatch.setenv("CITIZEN_HUB_HUB_DSN", city_dsns["hub"])
    return antrian_dsn


def ticket(dsn: str, number: str) -> dict[str, Any]:
    async def read() -> dict[str, Any]:
        conn = await asyncpg.connect(dsn)
        try:
            row = await conn.fetchrow(
                "SELECT id_tiket, status, kode_loket, waktu_panggil, waktu_selesai FROM tiket"
                " WHERE tanggal = $1 AND kode_layanan = $2 AND nomor_tiket = $3",
                DAY,
                SERVICE,
                number,
            )
        finally:
            await conn.close()
        assert row is not None
        return dict(row)

    return asyncio.run(read())


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_counter_moves_tickets_from_waiting_to_called_to_served(
    configured: str, capsys: pytest.CaptureFixture[str]
) -> None:
    day = DAY.isoformat()
    status, out, _ = run(capsys, "counter", "list", "--service", SERVICE, "--date", day)
    assert status == 0
    assert f"{SERVICE} on {day}: 2 waiting or called" in out
    assert out.count("MENUNGGU") == 2

    status, out, _ = run(capsys, "counter", "next", "--loket", COUNTER, "--date", day)
    assert status == 0 and out.startswith("called A-001")
    first = ticket(configured, "A-001")
    assert first["status"] == "DIPANGGIL" and first["kode_loket"] == COUNTER
    assert first["waktu_panggil"] is not None and first["waktu_selesai"] is None
    assert ticket(configured, "A-002")["status"] == "MENUNGGU"

    status, out, _ = run(capsys, "counter", "serve", str(first["id_tiket"]))
    assert status == 0 and out.startswith("served A-001") and "Loket 1" in out
    served = ticket(configured, "A-001")
    assert served["status"] == "DILAYANI" and served["waktu_selesai"] is not None

    # Served already: refused in one line, nothing changes.
    status, out, err = run(capsys, "counter", "serve", str(first["id_tiket"]))
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and "only a called ticket can be served" in err
    assert ticket(configured, "A-001") == served

    status, out, _ = run(capsys, "counter", "next", "--loket", COUNTER, "--date", day)
    assert status == 0 and out.startswith("called A-002")
    second = ticket(configured, "A-002")
    status, out, _ = run(capsys, "counter", "skip", str(second["id_tiket"]))
    assert status == 0 and out.startswith("no-show A-002")
    assert ticket(configured, "A-002")["status"] == "TIDAK_HADIR"

    status, out, _ = run(capsys, "counter", "next", "--loket", COUNTER, "--date", day)
    assert status == 0 and out.strip() == f"no one is waiting for counter {COUNTER} on {day}"
    status, out, _ = run(capsys, "counter", "list", "--service", SERVICE, "--date", day)
    assert f"{SERVICE} on {day}: 0 waiting or called" in out


def test_an_unknown_counter_is_one_line(
    configured: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(capsys, "counter", "next", "--loket", "MPP09-L99")
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and "MPP09-L99" in err and "Traceback" not in err


def test_the_notify_trigger_is_installed_and_removed_by_name(
    configured: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(capsys, "antrian", "install-notify")
    assert status == 0 and "notification is installed" in out
    status, out, _ = run(capsys, "antrian", "uninstall-notify")
    assert status == 0 and "notification is not installed" in out
