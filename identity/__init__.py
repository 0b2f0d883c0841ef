"""Identifiers of Kota Tangerang's citizens as value types, and how they link.

This package knows identifiers; it does not know GraphQL or SQL.
"""
