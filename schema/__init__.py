"""The GraphQL contract: strawberry types per product, queries, and the request machinery."""
