"""reference-out-of-range: a layer reference resolves before layer 0.

*Why*: darknet makes no range check: a reference below 0 reads outside its layer array (garbage sizes or a crash).

*Severity*: an error: darknet reads outside its layer array (garbage sizes or a crash).

**FAIL**
    [route]
    # in layer 10: 10-40 is below 0
    layers=-40
**PASS**
    [route]
    layers=-4

*Fix safety*: none.

Detected while inferring shapes (``cfggen.ir``), at every input size that is checked.
"""
CODE, NAME, SEVERITY, SCOPE = "DN206", "reference-out-of-range", "error", "infer"
SUMMARY = "a layer reference resolves before layer 0"
check = None
