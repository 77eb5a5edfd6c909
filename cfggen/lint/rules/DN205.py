"""sam-shape-mismatch: [sam] inputs of different shapes.

*Why*: [sam] multiplies the previous layer and the `from` layer element-wise; darknet asserts that their shapes are equal.

*Severity*: an error: darknet aborts on an assertion.

**FAIL**
    [sam]
    from=-3
**PASS**
    [sam]
    from=-2

*Fix safety*: none.

Detected while inferring shapes (``cfggen.ir``), at every input size that is checked.
"""
CODE, NAME, SEVERITY, SCOPE = "DN205", "sam-shape-mismatch", "error", "infer"
SUMMARY = "[sam] inputs of different shapes"
check = None
