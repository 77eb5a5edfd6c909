"""The finding record, re-exported for the rules: it lives in ``cfggen.findings`` (below ``cfggen.ir``)."""
from cfggen.findings import SEVERITY_RANK, Diagnostic, Edit, Fix, Severity

__all__ = ["SEVERITY_RANK", "Diagnostic", "Edit", "Fix", "Severity"]
