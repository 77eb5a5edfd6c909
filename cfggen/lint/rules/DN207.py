"""forward-reference: a layer reference to the layer itself or a later one.

*Why*: the referenced layer is not built yet: darknet reads an all-zero layer and something later fails.

*Severity*: an error: darknet reads an all-zero layer or exits; the wiring is not what the file
says.

**FAIL**
    [route]
    # in layer 10: layer 12 is not built yet
    layers=12
**PASS**
    [route]
    layers=8

*Fix safety*: none.

Detected while inferring shapes (``cfggen.ir``), at every input size that is checked.
"""
CODE, NAME, SEVERITY, SCOPE = "DN207", "forward-reference", "error", "infer"
SUMMARY = "a layer reference to the layer itself or a later one"
check = None
