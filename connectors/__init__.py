"""One package per product database: its legacy DDL, its synthetic rows, its batch reads.

No SQL lives outside this package (the hub's own tables aside, in ``hub/``).
"""
