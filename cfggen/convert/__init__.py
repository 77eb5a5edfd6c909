"""Conversions: ``adapt`` (Document -> text edits), ``weights`` (darknet .weights I/O, numpy),
``checkpoint`` (PyTorch state dicts as numpy arrays) and ``efficientnet`` (``cfggen import``).

Nothing here is imported by ``validate``; ``weights`` imports numpy, so import it lazily.
"""
