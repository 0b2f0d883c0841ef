"""The hub's own database: SQL files applied in name order, each once.

Add a change as a new file ``NNN_what.sql``; never edit one that has shipped.
"""
