"""What every answer to a fuzz case must be, and the count of cases sent.

An answer may refuse anything, with any 4xx status, but never: a 5xx; a stack
trace; the hub's SQL or its driver's names; an error the pipeline had to mask as
``INTERNAL`` (an exception nobody expected); a NIK in an error message.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

from identity.nik import NIK, InvalidNIK

# Cases sent per kind and the statuses answered, printed at the end of the run.
TALLY: Counter[str] = Counter()

# Sixteen digits standing alone (not the digits of a float such as 1.8446744073709552e+19);
# a NIK when the project's own parser says so (a region, a birth date, a serial), so
# that an integer the caller sent, echoed in a coercion error, is not taken for one.
SIXTEEN_DIGITS = re.compile(r"(?<![\d.])\d{16}(?![\d.])")
LEAKS = re.compile(
    "|".join(
        [
            r"Traceback \(most recent call last\)",
            r'File "[^"]*", line \d+',
            r"\basyncpg\b",
            r"\bpsycopg",
            r"PostgresError",
            r"SQLSTATE",
            r"syntax error at or near",
            r"\bpg_catalog\b",
            r"(?:UndefinedTable|UniqueViolation|DataError|InterfaceError)\b",
            r"\bSELECT\b[^\n]{0,200}\bFROM\b",
            r"\bINSERT INTO\b",
            r"\bUPDATE\b[^\n]{0,100}\bSET\b",
            r"\bDELETE FROM\b",
            r"disclosures_append",
        ]
    )
)


def has_nik(text: str) -> bool:
    for digits in SIXTEEN_DIGITS.findall(text):
        try:
            NIK.parse(digits)
        except InvalidNIK:
            continue
        return True
    return False


def tally(kind: str, status: int | str) -> None:
    TALLY[kind] += 1
    TALLY[f"status {status}"] += 1


def problems(status: int, text: str) -> list[str]:
    """Everything wrong with an HTTP answer (empty when it is a clean answer or refusal)."""
    found = []
    if status >= 500:
        found.append(f"HTTP {status}")
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    if isinstance(body, dict):
        found += message_problems(body)
    else:  # a page (GraphiQL's carries an example NIK), or a plain-text refusal
        found += _leaks(text, "the answer")
        if status >= 400 and has_nik(text):
            found.append("a NIK in the refusal's text")
    return found


def message_problems(message: dict[str, Any]) -> list[str]:
    """Problems in a GraphQL answer (an HTTP body or a websocket payload): its errors,
    and any leak outside its data."""
    found = []
    outside_data = {k: v for k, v in message.items() if k != "data"}
    if isinstance(message.get("payload"), dict):  # a websocket message
        outside_data["payload"] = {k: v for k, v in message["payload"].items() if k != "data"}
    found += _leaks(json.dumps(outside_data, ensure_ascii=False), "errors or extensions")
    for error in _errors(message):
        if not isinstance(error, dict):
            continue
        extensions = error.get("extensions") or {}
        if isinstance(extensions, dict) and extensions.get("code") == "INTERNAL":
            found.append(f"an error masked as INTERNAL: {error.get('message')}")
        if has_nik(json.dumps(error, ensure_ascii=False)):
            found.append(f"a NIK in an error: {error.get('message')!r:.200}")
    return found


def _errors(message: dict[str, Any]) -> list[Any]:
    errors = message.get("errors")
    payload = message.get("payload")
    if isinstance(payload, list):  # graphql-transport-ws "error" carries a list
        return payload
    if isinstance(payload, dict):
        errors = payload.get("errors", errors)
    return errors if isinstance(errors, list) else []


def _leaks(text: str, where: str) -> list[str]:
    match = LEAKS.search(text)
    return [f"server internals in {where}: {match.group(0)!r:.120}"] if match else []
