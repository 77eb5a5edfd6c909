"""The cfg file as text: a lossless, position-keeping model (syntax only, no semantics)."""
from cfggen.cfg.model import Cut, Document, Line, Option, Section
from cfggen.cfg.parse import encode, parse, parse_bytes, read_file
from cfggen.cfg.emit import emit

__all__ = ["Cut", "Document", "encode", "Line", "Option", "Section", "parse", "parse_bytes", "read_file", "emit"]
