"""no-sections: the file has no sections at all.

*Why*: an empty file (or one with only comments) makes darknet exit 'Config file has no sections'.
A `[net]` with no layer section after it is parsed, prints an empty layer table and dies with a
floating-point exception (SIGFPE): reported here too.

*Severity*: an error: darknet has nothing to build and exits.

**FAIL**
    # empty
**PASS**
    [net]
    width=416
    height=416
    channels=3

*Fix safety*: none.

Detected while inferring shapes (``cfggen.ir``), at every input size that is checked.
"""
CODE, NAME, SEVERITY, SCOPE = "DN114", "no-sections", "error", "infer"
SUMMARY = "the file has no sections at all"
check = None
