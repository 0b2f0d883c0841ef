"""Trusted documents without a database: ids, files, the rules and the cache."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from hub.documents.files import (
    SUPER_APP_FILES,
    DocumentFileError,
    operations_of,
    read_operations,
)
from schema.build import build_schema
from schema.errors import BadUserInput, Forbidden
from schema.execution.ports import Viewer
from schema.execution.trusted import (
    DocumentRef,
    DocumentRules,
    TrustedDocuments,
    document_id,
    request_document,
)

SCHEMA = build_schema()._schema
APP_JS = Path(SUPER_APP_FILES[0]).parent / "app.js"
TEXT = "{ sources { system } }"
DIGEST = hashlib.sha256(TEXT.encode()).hexdigest()


def test_the_super_app_sends_the_ids_of_its_registered_files_and_no_text() -> None:
    operations = read_operations(list(SUPER_APP_FILES), SCHEMA)  # valid on this schema
    assert {o.name for o in operations} == {"SuperApp", "Withdraw"}
    script = APP_JS.read_text(encoding="utf-8")
    for operation in operations:
        assert f'{operation.name}: "{operation.id}"' in script, (
            f"app.js's id of {operation.name} is not that of its file: run"
            f" citizen-hub documents add {operation.origin} and copy the id it prints"
        )
    assert not re.search(r"\b(query|mutation)\s+\w+\s*[({]", script)
    assert "JSON.stringify({ documentId," in script


def test_a_file_of_one_operation_is_its_text_as_written() -> None:
    text = "# the catalogue\nquery Centres { serviceCentres { name ...C } }\n"
    text += "fragment C on ServiceCentre { code }\n"
    [operation] = operations_of(text, "centres.graphql", SCHEMA)
    assert (operation.name, operation.text) == ("Centres", text)
    assert operation.id == "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def test_a_file_of_several_operations_is_split_with_the_fragments_each_spreads() -> None:
    text = (
        "query A { serviceCentres { ...C } }\n"
        "fragment C on ServiceCentre { code ...D }\n"
        "query B { sources { system } }\n"
        "fragment D on ServiceCentre { name }\n"
    )
    a, b = operations_of(text, "two.graphql", SCHEMA)
    assert a.text == (
        "query A { serviceCentres { ...C } }\n\nfragment C on ServiceCentre { code ...D }"
        "\n\nfragment D on ServiceCentre { name }\n"
    )
    assert b.text == "query B { sources { system } }\n"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{ nothing }", "Cannot query field 'nothing' on type 'Query'"),
        ("query {", "Syntax Error"),
        ("fragment F on Query { sources { system } }", "holds no operation"),
    ],
)
def test_a_document_the_hub_could_not_answer_is_refused_naming_the_file(
    text: str, problem: str
) -> None:
    with pytest.raises(DocumentFileError, match=r"bad\.graphql") as caught:
        operations_of(text, "bad.graphql", SCHEMA)
    assert problem in str(caught.value)


def test_a_request_names_a_document_by_id_or_by_apollos_hash() -> None:
    assert request_document(TEXT, None, None) == TEXT
    ref = request_document(None, None, f"sha256:{DIGEST}")
    assert isinstance(ref, DocumentRef) and ref.digest == DIGEST
    apollo = {"persistedQuery": {"version": 1, "sha256Hash": DIGEST.upper()}}
    ref = request_document(None, apollo, None)
    assert isinstance(ref, DocumentRef) and ref.digest == DIGEST
    # Apollo's retry sends the text with its hash: the text, if the hash is its own.
    assert request_document(TEXT, apollo, None) == TEXT
    assert not isinstance(request_document(TEXT, apollo, None), DocumentRef)


@pytest.mark.parametrize(
    ("query", "extensions", "named", "problem"),
    [
        (None, None, "sha256:abc", "documentId must be"),
        (None, None, "md5:" + "0" * 64, "documentId must be"),
        (None, {"persistedQuery": {"sha256Hash": 7}}, None, "sha256Hash must be"),
        (None, {"persistedQuery": {"sha256Hash": "0" * 64}}, f"sha256:{DIGEST}", "different"),
        ("{ me { nik } }", None, f"sha256:{DIGEST}", "does not match"),
    ],
)
def test_an_id_that_is_malformed_or_contradicted_is_refused(
    query: str | None, extensions: dict[str, object] | None, named: str | None, problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        request_document(query, extensions, named)


def test_a_json_string_is_never_a_document_ref() -> None:
    assert not isinstance(f"documentId sha256:{DIGEST}", DocumentRef)
    assert document_id(TEXT) == f"sha256:{DIGEST}"


PARTNER = Viewer(frozenset(), client_id="dinas-pendidikan")
SUPER_APP = Viewer(frozenset(), client_id="super-app", subject="s", nik="3671014507900001")


@pytest.mark.parametrize(
    ("rules", "viewer", "graphiql", "may"),
    [
        (DocumentRules(), PARTNER, False, True),
        (DocumentRules(), None, False, True),
        (DocumentRules(trusted_clients=frozenset({"super-app"})), SUPER_APP, False, False),
        (DocumentRules(trusted_clients=frozenset({"super-app"})), PARTNER, False, True),
        (DocumentRules(required=True), PARTNER, False, False),
        (DocumentRules(required=True), None, False, False),
        (DocumentRules(required=True), PARTNER, True, True),
        (DocumentRules(required=True, graphiql_free_text=False), PARTNER, True, False),
        (
            DocumentRules(required=True, free_text_clients=frozenset({"dinas-pendidikan"})),
            PARTNER,
            False,
            True,
        ),
    ],
)
def test_who_may_send_text(
    rules: DocumentRules, viewer: Viewer | None, graphiql: bool, may: bool
) -> None:
    assert rules.may_send_text(viewer, graphiql=graphiql) is may
    documents = TrustedDocuments(None, rules)
    if may:
        documents.check_text(viewer, graphiql=graphiql)
    else:
        with pytest.raises(Forbidden) as caught:
            documents.check_text(viewer, graphiql=graphiql)
        assert caught.value.extensions["reason"] == "trusted_documents_only"


class Store:
    def __init__(self) -> None:
        self.texts = {DIGEST: TEXT}
        self.asked = 0

    async def find(self, digest: str) -> str | None:
        self.asked += 1
        return self.texts.get(digest)


async def test_a_registered_document_is_read_and_parsed_once_then_forgotten_in_time() -> None:
    store, now = Store(), [0.0]
    documents = TrustedDocuments(store, clock=lambda: now[0])
    first = await documents.resolve(DIGEST)
    assert (first.text, store.asked) == (TEXT, 1)
    assert await documents.resolve(DIGEST) is first and store.asked == 1
    del store.texts[DIGEST]  # documents remove, in another process
    now[0] = 61.0
    with pytest.raises(BadUserInput) as caught:
        await documents.resolve(DIGEST)
    assert caught.value.extensions == {
        "code": "BAD_USER_INPUT",
        "rule": "PERSISTED_QUERY_NOT_FOUND",
    }
