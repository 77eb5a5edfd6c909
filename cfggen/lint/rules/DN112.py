"""no-net-section: the first section is not [net]/[network].

*Why*: darknet requires the first section to be `[net]` (or `[network]`) and exits otherwise.

*Severity*: an error: darknet cannot build the network (it exits on the first section).

**FAIL**
    [convolutional]
    filters=16
**PASS**
    [net]
    width=416
    height=416
    channels=3
    
    [convolutional]
    filters=16

*Fix safety*: none.

Detected while inferring shapes (``cfggen.ir``), at every input size that is checked.
"""
CODE, NAME, SEVERITY, SCOPE = "DN112", "no-net-section", "error", "infer"
SUMMARY = "the first section is not [net]/[network]"
check = None
