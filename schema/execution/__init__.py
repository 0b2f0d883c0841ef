"""The request machinery: one operation from its document to its recorded answer.

It never imports the GraphQL types above it (``schema/<product>/``) except through
the loading layer; see :mod:`schema.execution.pipeline` for the order of steps.
"""
