"""division-by-zero: a zero that makes darknet divide by zero or exit.

*Why*: stride=0 in a convolutional/maxpool/reorg/local layer, groups=0 in a [route] and similar values make darknet die with SIGFPE while parsing.

*Severity*: an error: darknet divides by zero (SIGFPE) or exits.

**FAIL**
    [maxpool]
    size=2
    stride=0
**PASS**
    [maxpool]
    size=2
    stride=2

*Fix safety*: none.

Detected while inferring shapes (``cfggen.ir``), at every input size that is checked.
"""
CODE, NAME, SEVERITY, SCOPE = "DN211", "division-by-zero", "error", "infer"
SUMMARY = "a zero that makes darknet divide by zero or exit"
check = None
