"""Parsing and validating a document, cached: most operations are sent again and again.

Only documents of a reasonable size are kept (:data:`MAX_CACHED_QUERY`): 512 cached
documents of a few MB each (a comment can pad one) would hold gigabytes. The pipeline
(:mod:`schema.execution.pipeline`) parses with at most :data:`MAX_TOKENS` tokens.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from graphql import DocumentNode, GraphQLError, parse, validate
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

if TYPE_CHECKING:
    from graphql.validation import ASTValidationRule

MAX_TOKENS = 5000
CACHE_SIZE = 512
MAX_CACHED_QUERY = 16_384  # characters: GraphiQL's schema query is about 1,500


def parsed(query: str) -> DocumentNode:
    # Only documents of a reasonable size are kept: 512 cached documents of a few MB
    # each (a comment can pad one) would hold gigabytes.
    if len(query) > MAX_CACHED_QUERY:
        return parse(query, max_tokens=MAX_TOKENS)
    return _parsed_cached(query)


@functools.lru_cache(maxsize=CACHE_SIZE)
def _parsed_cached(query: str) -> DocumentNode:
    return parse(query, max_tokens=MAX_TOKENS)


def validated(
    schema: Any, document: DocumentNode, rules: tuple[type[ASTValidationRule], ...], hide: bool
) -> list[GraphQLError]:
    """graphql-core's rules, strawberry's own among them; ``hide``: without the "Did you
    mean ...?" suggestions, which would name the schema's fields to a hub that keeps
    introspection off."""
    rules = (*rules, MaybeNullValidationRule, OneOfInputValidationRule)
    return validate(schema, document, rules, hide_suggestions=hide)


@functools.lru_cache(maxsize=CACHE_SIZE)
def validated_cached(
    schema: Any, query: str, rules: tuple[type[ASTValidationRule], ...], hide: bool
) -> list[GraphQLError]:
    return validated(schema, parsed(query), rules, hide)
