"""The disclosure log: who saw which citizen's data, when and why (UU 27/2022's record).

A row per disclosed citizen per request in the hub database's ``disclosures`` table,
append-only (a trigger refuses UPDATE, DELETE and TRUNCATE) and hash-chained
(:mod:`hub.audit.chain` documents the encoding). Its writer, the role
``citizen_hub_app``, may only SELECT and call ``disclosures_append``, which sets each
row's seq, time and hashes itself (``hub/migrations/004_audit_append_only.sql``). The
chain's head is checkpointed, signed with the hub's signing key, outside the database
(:mod:`hub.audit.checkpoint`), so ``citizen-hub audit verify`` names any altered,
removed, reordered or rewritten row, even one rewritten with full database rights.

The API::

    pool = await create_audit_pool(hub_dsn, audit_dsn=settings.audit.dsn)
        # logs in as citizen_hub_app with audit_dsn; without it, SET ROLE on hub_dsn
        # (warned: RESET ROLE undoes it)
    log = DisclosureLog(pool, timeout=5.0)   # timeout bounds the connection and statement

    await log.record(DisclosureRequest(request_id, client_id, subject, purpose,
                                       [Disclosure(nik, sources, fields), ...]))
        # one statement whatever the number of NIKs; repeated NIKs merged; raises
        # schema.errors.AuditUnavailable if not written: return no citizen data then
    await log.access_log(niks, last) -> dict[str, list[DisclosureEntry]]
        # one statement; every NIK is a key, newest first
    await log.verify() -> VerifyResult       # the chain alone: .intact, .rows, .problems
    log.statements                           # statements sent by record and access_log

    writer = CheckpointWriter.from_settings(hub_pool, settings)   # the hub's own pool
    writer.start(); ...; await writer.stop()  # every [audit] checkpoint_seconds, and at stop
    checkpoint_context(settings, HUB_POOL)    # the same as an aiohttp cleanup_ctx

    await verify_chain(conn, checkpoint_lines=FileSink(path).read() or [])
        # the chain and each signed checkpoint, on a hub login that reads the signing keys
"""

from hub.audit.chain import GENESIS, row_hash
from hub.audit.checkpoint import (
    Checkpoint,
    CheckpointProblem,
    CheckpointWriter,
    FileSink,
    checkpoint_context,
    checkpoint_path,
    take_checkpoint,
)
from hub.audit.log import Disclosure, DisclosureEntry, DisclosureLog, DisclosureRequest
from hub.audit.pool import APP_ROLE, HubPool, create_audit_pool, enter_app_role
from hub.audit.verify import ChainProblem, VerifyResult, verify_chain

__all__ = [
    "APP_ROLE",
    "GENESIS",
    "ChainProblem",
    "Checkpoint",
    "CheckpointProblem",
    "CheckpointWriter",
    "Disclosure",
    "DisclosureEntry",
    "DisclosureLog",
    "DisclosureRequest",
    "FileSink",
    "HubPool",
    "VerifyResult",
    "checkpoint_context",
    "checkpoint_path",
    "create_audit_pool",
    "enter_app_role",
    "row_hash",
    "take_checkpoint",
    "verify_chain",
]
