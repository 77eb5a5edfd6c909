"""The cfg file as text: a lossless, position-keeping model (syntax only, no semantics)."""
from cfggen.cfg.model import Document, Line, Option, Section
from cfggen.cfg.parse import parse, parse_bytes, read_file
from cfggen.cfg.emit import emit

__all__ = ["Document", "Line", "Option", "Section", "parse", "parse_bytes", "read_file", "emit"]
