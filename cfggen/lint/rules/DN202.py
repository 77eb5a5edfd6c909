"""shortcut-channel-mismatch: [shortcut] adds maps with different channel counts.

*Why*: darknet prints the two shapes and adds only the first min(C, C_from) channels: enet-coco.cfg adds layer 90's 576 channels to 128, so 448 channels are silently dropped. If a partial residual is intended (PRN/CSP-style designs), suppress it with `# cfggen: disable-next-line DN202` above the section.

**FAIL**
    [convolutional]
    filters=128
    
    [shortcut]
    # layer 90 has 576 channels
    from=90
**PASS**
    [convolutional]
    filters=576
    
    [shortcut]
    from=90

*Fix safety*: none.

Detected while inferring shapes (``cfggen.ir``), at every input size that is checked.
"""
CODE, NAME, SEVERITY, SCOPE = "DN202", "shortcut-channel-mismatch", "error", "infer"
SUMMARY = "[shortcut] adds maps with different channel counts"
check = None
