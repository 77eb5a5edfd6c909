"""Conversions: ``adapt`` (Document -> text edits) and ``weights`` (darknet .weights I/O, numpy).

Nothing here is imported by ``validate``; ``weights`` imports numpy, so import it lazily.
"""
