"""The identity crosswalk in the graph: Citizen.identifiers, resolveIdentity, matched tickets."""
