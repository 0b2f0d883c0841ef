"""The identity crosswalk in the hub's own database: built by ``identity sync``, read by the graph.

``sync`` reads every product's records and SIAK's register (through the
connectors), links them (pure, in :mod:`identity.links`) and writes the
differences (``store``); ``lookups`` are the graph's batch reads and ``report``
the data-quality summary.
"""
