"""The identity crosswalk in the hub's own database: built by ``identity sync``, read by the graph.

``sync`` reads every product's records and SIAK's register (through the
connectors), links them (pure, in :mod:`identity.links`) and writes the
differences (``store``); ``report`` is the data-quality summary. The graph reads
the crosswalk through :mod:`connectors.crosswalk`.
"""
