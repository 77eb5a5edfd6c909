"""route-shape-mismatch: [route] concatenates maps of different width/height.

*Why*: at parse time darknet only warns and zeroes the route's width/height (the next spatial layer then exits); at a multi-scale training resize it exits.

*Severity*: an error: darknet zeroes the route's output (and exits when training resizes).

**FAIL**
    [route]
    # the previous layer is 26x26, layer 36 is 52x52
    layers=-1,36
**PASS**
    [upsample]
    stride=2
    
    [route]
    layers=-1,36

*Fix safety*: none.

Detected while inferring shapes (``cfggen.ir``), at every input size that is checked.
"""
CODE, NAME, SEVERITY, SCOPE = "DN203", "route-shape-mismatch", "error", "infer"
SUMMARY = "[route] concatenates maps of different width/height"
check = None
