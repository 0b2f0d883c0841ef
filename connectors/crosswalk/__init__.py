"""The identity crosswalk in the hub's own database, read like a source (``Store.HUB``).

:mod:`.reads`: the graph's batch reads of the links; :mod:`.review`: the data
steward's queue and decisions. Pure SQL over a connection or a
:class:`~connectors.base.SourceDB`: the graph (``schema/``) and the hub's commands
(``hub/``) both use them, so they live below both.
"""
