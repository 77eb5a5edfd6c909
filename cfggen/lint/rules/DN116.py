"""bad-enum-value: a value darknet does not accept for an enumerated key.

*Why*: `[shortcut] weights_type` must be none, per_feature (per_layer) or per_channel; anything else makes darknet exit.

**FAIL**
    [shortcut]
    from=-2
    weights_type=perchannel
**PASS**
    [shortcut]
    from=-2
    weights_type=per_channel

*Fix safety*: none.

Detected while inferring shapes (``cfggen.ir``), at every input size that is checked.
"""
CODE, NAME, SEVERITY, SCOPE = "DN116", "bad-enum-value", "error", "infer"
SUMMARY = "a value darknet does not accept for an enumerated key"
check = None
