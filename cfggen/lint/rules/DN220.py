"""share-index-mismatch: a [convolutional] shares the kernel of a layer whose kernel has another shape.

*Why*: with ``share_index``, AlexeyAB's ``make_convolutional_layer`` compares the kernel size, weight
count, input channels and filters with the shared layer's. On a difference it prints "Layer size,
nweights, channels or filters don't match for the share_layer", waits for Enter (``getchar()``) and
goes on with the shared layer's arrays: this layer then computes with weights laid out for the other
kernel (and, with more filters, reads biases past the shared layer's). When this layer has more
weights than the shared one, its weight initialisation writes past that array (a heap overflow) and
when the shared layer is no convolution it writes through a pointer that layer does not have: those
two are darknet crashes, reported as DN211. hank-ai stops through its error path in every case.

*Severity*: an error: darknet builds a network other than the file says.

**FAIL**
    [convolutional]
    filters=8
    size=3
    
    [convolutional]
    # 8 input channels and 2 filters; the shared layer has 3 and 8
    filters=2
    size=3
    share_index=-1
**PASS**
    [convolutional]
    filters=8
    size=3
    
    [convolutional]
    filters=8
    size=3
    
    [convolutional]
    filters=8
    size=3
    share_index=-1

*Fix safety*: none.

Detected while inferring shapes (``cfggen.ir``), at every input size that is checked.
"""
CODE, NAME, SEVERITY, SCOPE = "DN220", "share-index-mismatch", "error", "infer"
SUMMARY = "a [convolutional] shares the kernel of a layer whose kernel has another shape"
check = None
