"""The products' clock: Western Indonesia Time (UTC+7), stored as wall time without a zone."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

WIB = timezone(timedelta(hours=7), "WIB")


def wib_now() -> datetime:
    """The time now at the city's offices and service centres (WIB)."""
    return datetime.now(WIB)


def local(moment: datetime) -> datetime:
    """``moment`` as the offices' wall clock (WIB), without a zone, as the products store time."""
    return moment.astimezone(WIB).replace(tzinfo=None)
