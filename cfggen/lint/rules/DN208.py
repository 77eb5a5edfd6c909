"""missing-reference: a layer that needs a reference has none.

*Why*: [route] without layers= exits; [shortcut], [scale_channels], [sam] without from= and [contrastive] without yolo_layer= crash darknet with a segmentation fault.

*Severity*: an error: darknet exits or crashes while parsing.

**FAIL**
    [shortcut]
    activation=linear
**PASS**
    [shortcut]
    from=-3
    activation=linear

*Fix safety*: none.

Detected while inferring shapes (``cfggen.ir``), at every input size that is checked.
"""
CODE, NAME, SEVERITY, SCOPE = "DN208", "missing-reference", "error", "infer"
SUMMARY = "a layer that needs a reference has none"
check = None
