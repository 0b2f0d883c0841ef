"""Which media type an answer is sent as, and the status of a request error in it."""

from __future__ import annotations

import pytest
from graphql import GraphQLError

from hub.graphql_response import (
    APPLICATION_JSON,
    GRAPHQL_RESPONSE_JSON,
    is_request_error,
    request_error_status,
    response_media_type,
)


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, APPLICATION_JSON),
        ("", APPLICATION_JSON),
        ("*/*", APPLICATION_JSON),
        ("application/*", APPLICATION_JSON),
        ("application/json", APPLICATION_JSON),
        ("text/html", APPLICATION_JSON),
        ("application/graphql-response+json", GRAPHQL_RESPONSE_JSON),
        # Apollo Client's and the specification's recommended header
        ("application/graphql-response+json, application/json;q=0.9", GRAPHQL_RESPONSE_JSON),
        # urql's: both at q=1, the new type listed first
        (
            "application/graphql-response+json, application/graphql+json, application/json,"
            " text/event-stream, multipart/mixed",
            GRAPHQL_RESPONSE_JSON,
        ),
        ("application/json, application/graphql-response+json", APPLICATION_JSON),
        ("application/graphql-response+json;q=0.5, application/json", APPLICATION_JSON),
        ("application/graphql-response+json, */*;q=0.8", GRAPHQL_RESPONSE_JSON),
        ("application/graphql-response+json;q=0, */*", APPLICATION_JSON),
        ("Application/GraphQL-Response+JSON; charset=utf-8", GRAPHQL_RESPONSE_JSON),
        ("application/graphql-response+json;q=high", APPLICATION_JSON),
    ],
)
def test_the_answer_is_sent_as_the_type_the_client_prefers(
    accept: str | None, expected: str
) -> None:
    assert response_media_type(accept) == expected


def test_an_answer_with_a_field_error_or_data_is_not_a_request_error() -> None:
    field_error = GraphQLError("SIAK did not answer", path=["citizen", "fullName"])
    assert not is_request_error(None, [field_error])
    assert not is_request_error({"citizen": None}, [GraphQLError("x")])
    assert not is_request_error(None, [])
    assert is_request_error(None, [GraphQLError("Syntax Error: Expected Name")])


@pytest.mark.parametrize(
    ("extensions", "status", "headers"),
    [
        ({"code": "BAD_USER_INPUT"}, 400, {}),
        (None, 400, {}),
        ({"code": "LIMIT_EXCEEDED", "limit": "depth", "maximum": 10}, 400, {}),
        ({"code": "LIMIT_EXCEEDED", "limit": "rate", "retryAfter": 12}, 429, {"Retry-After": "12"}),
        ({"code": "UNAUTHENTICATED"}, 401, {}),
        ({"code": "FORBIDDEN"}, 403, {}),
        ({"code": "AUDIT_UNAVAILABLE"}, 503, {}),
    ],
)
def test_a_request_error_has_the_status_its_code_says(
    extensions: dict[str, object] | None, status: int, headers: dict[str, str]
) -> None:
    assert request_error_status([GraphQLError("refused", extensions=extensions)]) == (
        status,
        headers,
    )
