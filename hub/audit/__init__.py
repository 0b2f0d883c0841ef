"""The disclosure log: who saw which citizen's data, when and why (UU 27/2022's record).

A row per disclosed citizen per request in the hub database's ``disclosures`` table,
append-only (a trigger refuses UPDATE, DELETE and TRUNCATE) and hash-chained: each hub
process writes its own chain (writer id, ``writer_seq``), its requests' rows handed to
one :class:`GroupWriter` that chains them in Python and appends a batch of concurrent
requests in one statement (:mod:`hub.audit.writer`; :mod:`hub.audit.chain` documents
the encoding). Its writer, the role ``citizen_hub_app``, may only SELECT and call
``disclosures_append``, which numbers a batch after the writer's head and checks its
link and time before it appends (``hub/migrations/007_audit_writers.sql``). Each
chain's head is checkpointed, signed with the hub's signing key, outside the database
(:mod:`hub.audit.checkpoint`), so ``citizen-hub audit verify`` names any altered,
removed, reordered or rewritten row in any chain, even one rewritten with full
database rights.

The API::

    pool = await create_audit_pool(hub_dsn, audit_dsn=settings.audit.dsn)
        # logs in as citizen_hub_app with audit_dsn; without it, SET ROLE on hub_dsn
        # (warned: RESET ROLE undoes it)
    log = DisclosureLog(pool, timeout=5.0, on_flush=None)
        # a new chain; timeout bounds a request's wait; on_flush(requests, seconds)
        # observes each batch written (metrics)

    await log.record(DisclosureRequest(request_id, client_id, subject, purpose,
                                       [Disclosure(nik, sources, fields), ...],
                                       consent_id=None))
        # returns once the rows are durable (one statement per batch of concurrent
        # requests); repeated NIKs merged; raises schema.errors.AuditUnavailable if not
        # written: return no citizen data then
    await log.close()    # write what is queued, refuse what comes after (AuditUnavailable)
    await log.access_log(niks, last, before=None) -> dict[str, list[DisclosureEntry]]
        # one statement; every NIK is a key, newest first, older than the seq `before`
    await log.access_read(niks, last, before=None, summary=False) -> dict[str, AccessRead]
        # the same page (.entries) and, with summary, every row folded by client and
        # purpose (.groups: DisclosureGroup); still one statement
    await log.verify() -> VerifyResult       # the chains alone: .intact, .rows, .problems
    log.statements                           # statements sent by record and access_log

    writer = CheckpointWriter.from_settings(hub_pool, settings, log.writer.writer_id)
    writer.start(); ...; await writer.stop()  # every [audit] checkpoint_seconds, and at stop
    checkpoint_context(settings, HUB_POOL, log_of)  # the same as an aiohttp cleanup_ctx

    await verify_chain(conn, checkpoint_lines=FileSink(path).read() or [])
        # every chain and each signed checkpoint, on a hub login that reads the signing keys
"""

from hub.audit.chain import GENESIS, row_hash, row_hash_v2, stored_row_hash
from hub.audit.checkpoint import (
    Checkpoint,
    CheckpointProblem,
    FileSink,
    checkpoint_path,
    take_checkpoints,
)
from hub.audit.checkpoint_writer import CheckpointWriter, checkpoint_context
from hub.audit.log import Disclosure, DisclosureLog, DisclosureRequest
from hub.audit.pool import APP_ROLE, HubPool, create_audit_pool, enter_app_role
from hub.audit.reading import AccessRead, DisclosureEntry, DisclosureGroup
from hub.audit.verify import ChainHead, ChainProblem, VerifyResult, verify_chain
from hub.audit.writer import FlushObserver, GroupWriter, Row

__all__ = [
    "APP_ROLE",
    "GENESIS",
    "AccessRead",
    "ChainHead",
    "ChainProblem",
    "Checkpoint",
    "CheckpointProblem",
    "CheckpointWriter",
    "Disclosure",
    "DisclosureEntry",
    "DisclosureGroup",
    "DisclosureLog",
    "DisclosureRequest",
    "FileSink",
    "FlushObserver",
    "GroupWriter",
    "HubPool",
    "Row",
    "VerifyResult",
    "checkpoint_context",
    "checkpoint_path",
    "create_audit_pool",
    "enter_app_role",
    "row_hash",
    "row_hash_v2",
    "stored_row_hash",
    "take_checkpoints",
    "verify_chain",
]
