"""Where the app keeps its per-process resources (aiohttp ``web.AppKey``s), set at startup."""

from __future__ import annotations

from aiohttp import web

from connectors.antrian.feed import TicketFeed
from hub.access import AuditSink
from hub.limits import ClientLimits
from identity.opaque import CitizenIds
from schema.execution.trusted import TrustedDocuments

AUDIT_SINK = web.AppKey("audit_sink", AuditSink)
LIMITER = web.AppKey("limiter", ClientLimits)
CITIZEN_IDS = web.AppKey("citizen_ids", CitizenIds)
TICKET_FEED = web.AppKey("ticket_feed", TicketFeed)
DOCUMENTS = web.AppKey("documents", TrustedDocuments)
