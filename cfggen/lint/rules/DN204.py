"""scale-channels-mismatch: [scale_channels] input shapes do not fit.

*Why*: with scale_wh=0 (squeeze-and-excitation) the previous layer must be 1x1xC of the `from` layer; with scale_wh=1 it must be WxHx1. darknet asserts.

*Severity*: an error: darknet aborts on an assertion.

**FAIL**
    [convolutional]
    filters=64
    
    [scale_channels]
    from=-3
**PASS**
    [avgpool]
    
    [convolutional]
    filters=64
    size=1
    
    [scale_channels]
    from=-3

*Fix safety*: none.

Detected while inferring shapes (``cfggen.ir``), at every input size that is checked.
"""
CODE, NAME, SEVERITY, SCOPE = "DN204", "scale-channels-mismatch", "error", "infer"
SUMMARY = "[scale_channels] input shapes do not fit"
check = None
