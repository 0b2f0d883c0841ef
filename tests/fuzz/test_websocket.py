"""The websocket (graphql-transport-ws) under random messages and generated operations.

Each case opens a socket, sends a ``connection_init`` of some caller (or garbage),
then a few messages: generated subscriptions and queries, and messages of any shape,
text that is not JSON, binary frames. It then pings and reads until the pong (or the
close) and an answer to each operation. Every message read passes the same checks as
an HTTP answer; the socket closes, when it does, with a protocol code (44xx, 1000),
never 1011 or 4500 (the server's own failure) nor without a close frame.
"""

from __future__ import annotations

import json
import time
from typing import Any

import aiohttp
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.checks import message_problems, tally
from tests.fuzz.conftest import Target, cases, still_answers
from tests.fuzz.hostile import HEADER_TEXT, authorizations, json_values
from tests.fuzz.operations import operations

PROTOCOL = "graphql-transport-ws"
# Closes that say what the client did wrong (graphql-transport-ws and the hub's own).
CLEAN_CLOSES = {1000, 4400, 4401, 4403, 4406, 4408, 4409, 4429}
WAIT = 10.0  # seconds for the answers of one case; a hang past it fails the case


@st.composite
def init_payloads(draw: st.DrawFn, target: Target) -> Any:
    kind = draw(st.sampled_from(["partner", "citizen", "anonymous", "forged", "any"]))
    if kind == "partner":
        return dict(target.partner)
    if kind == "citizen":
        return dict(target.citizen)
    if kind == "anonymous":
        return {}
    if kind == "forged":
        return {
            "Authorization": draw(authorizations(target.forged)),
            "X-Purpose": draw(HEADER_TEXT),
        }
    return draw(json_values(8))


@st.composite
def messages(draw: st.DrawFn, target: Target) -> list[Any]:
    """What the client sends after ``connection_init``: JSON objects, text or bytes."""
    sent: list[Any] = []
    for i in range(draw(st.integers(1, 4))):
        kind = draw(st.integers(0, 5))
        if kind <= 1:
            body = draw(operations(target.niks, "subscription", draw(st.booleans())))
            sent.append({"id": f"op{i}", "type": "subscribe", "payload": body})
        elif kind == 2:
            body = draw(operations(target.niks, "query", draw(st.booleans())))
            sent.append({"id": f"op{i}", "type": "subscribe", "payload": body})
        elif kind == 3:  # a message of the protocol with any fields
            message_type = st.sampled_from(
                ["subscribe", "complete", "ping", "pong", "connection_init", "next", "error", "x"]
            )
            sent.append(
                draw(
                    st.fixed_dictionaries(
                        {"type": message_type},
                        optional={"id": json_values(2), "payload": json_values(10)},
                    )
                )
            )
        elif kind == 4:
            sent.append(draw(json_values(10)))
        else:
            sent.append(draw(st.one_of(st.text(max_size=50), st.binary(max_size=50))))
    return sent


async def exchange(
    session: aiohttp.ClientSession, url: str, init: Any, sent: list[Any]
) -> tuple[list[str], int | None]:
    """Send ``init`` and ``sent``, ping, and read until every answer came or the close:
    the text messages read and the close code (None while still open)."""
    received: list[str] = []
    async with session.ws_connect(url + "/graphql", protocols=[PROTOCOL]) as ws:
        await ws.send_json({"type": "connection_init", "payload": init})
        pending = {m["id"] for m in sent if isinstance(m, dict) and _operation(m)}
        for message in sent:
            if ws.closed:
                break
            if isinstance(message, bytes):
                await ws.send_bytes(message)
            elif isinstance(message, str):
                await ws.send_str(message)
            else:
                await ws.send_str(json.dumps(message))
        if not ws.closed:
            await ws.send_json({"type": "ping"})
        ponged = False
        deadline = time.monotonic() + WAIT
        while not ws.closed and (pending or not ponged):
            left = deadline - time.monotonic()
            assert left > 0, f"no answer within {WAIT} s; still waiting for {pending}"
            frame = await ws.receive(timeout=left)
            if frame.type != aiohttp.WSMsgType.TEXT:
                break
            received.append(frame.data)
            reply = json.loads(frame.data)
            ponged = ponged or reply.get("type") == "pong"
            if reply.get("type") in ("next", "error", "complete"):
                pending.discard(reply.get("id"))
        return received, ws.close_code


def _operation(message: dict[str, Any]) -> bool:
    """Whether ``message`` is one of the generated operations, each of which is answered."""
    key = message.get("id")
    return message.get("type") == "subscribe" and isinstance(key, str) and key.startswith("op")


@cases(150)
@given(data=st.data())
async def test_random_socket_messages_get_clean_answers_or_a_clean_close(
    data: st.DataObject, http: aiohttp.ClientSession, reads: Target
) -> None:
    init = data.draw(init_payloads(reads), label="connection_init payload")
    sent = data.draw(messages(reads), label="messages")
    received, code = await exchange(http, reads.url, init, sent)
    tally("websocket", code if code is not None else "open")
    assert code is None or code in CLEAN_CLOSES, (code, received[-3:])
    for text in received:
        reply = json.loads(text)
        assert isinstance(reply, dict), text
        assert message_problems(reply) == [], text[:2000]


async def test_a_new_socket_still_answers_after_the_fuzz(
    http: aiohttp.ClientSession, reads: Target
) -> None:
    query = {
        "query": "query($n: NIK!) { citizen(nik: $n) { nik } }",
        "variables": {"n": reads.niks[0]},
    }
    received, _ = await exchange(
        http, reads.url, reads.partner, [{"id": "op-check", "type": "subscribe", "payload": query}]
    )
    answers = [json.loads(t) for t in received]
    nexts = [a for a in answers if a.get("id") == "op-check" and a["type"] == "next"]
    assert nexts and nexts[0]["payload"]["data"]["citizen"]["nik"] == reads.niks[0], answers
    await still_answers(http, reads)
