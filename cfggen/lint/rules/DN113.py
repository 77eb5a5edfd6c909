"""missing-input-size: [net] gives no input size.

*Why*: without `width`, `height` and `channels` (or `inputs`) darknet exits 'No input parameters supplied'.

*Severity*: an error: darknet exits ('No input parameters supplied').

**FAIL**
    [net]
    batch=1
**PASS**
    [net]
    width=416
    height=416
    channels=3

*Fix safety*: none.

Detected while inferring shapes (``cfggen.ir``), at every input size that is checked.
"""
CODE, NAME, SEVERITY, SCOPE = "DN113", "missing-input-size", "error", "infer"
SUMMARY = "[net] gives no input size"
check = None
