"""How the hub's processes log: one format, and the libraries that must stay quiet."""

from __future__ import annotations

import logging

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def configure_logging(level: int = logging.INFO) -> None:
    """Log at ``level`` in one format, keeping two libraries at WARNING whatever it is:
    pgserver logs every pg_ctl command line at INFO, and authlib logs each issued token
    at DEBUG (``Issue token %r``): a JWT whose claims hold the citizen's NIK."""
    logging.basicConfig(level=level, format=FORMAT)
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    logging.getLogger("authlib").setLevel(logging.WARNING)
