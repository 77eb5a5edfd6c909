"""shortcut-shape-mismatch: [shortcut] adds maps of different width/height.

*Why*: darknet asserts that every `from` layer has the previous layer's width and height: Makefile builds abort (SIGABRT), release (NDEBUG) builds add mismatched buffers silently. It often appears only at some input sizes, e.g. enet-coco.cfg at 400x400 (26x26 vs 25x25).

*Severity*: an error: darknet aborts on an assertion (release builds add mismatched buffers, memory
corruption).
The same mismatch in several layers (one input size, one pattern repeated) is one finding at the
first, listing the others.

**FAIL**
    [maxpool]
    size=2
    stride=2
    
    [shortcut]
    from=-2
**PASS**
    [convolutional]
    filters=64
    size=3
    pad=1
    
    [shortcut]
    from=-2

*Fix safety*: none.

Detected while inferring shapes (``cfggen.ir``), at every input size that is checked.
"""
CODE, NAME, SEVERITY, SCOPE = "DN201", "shortcut-shape-mismatch", "error", "infer"
SUMMARY = "[shortcut] adds maps of different width/height"
check = None
