"""not-an-image: a spatial layer gets an input without width/height/channels.

*Why*: convolutional, pooling, reorg, crop and local layers need an image; after [softmax], [cost], [gru], [detection], [contrastive] or an unrecognised section darknet exits 'Layer before ... must output image'.

*Severity*: an error: darknet exits ('Layer before ... must output image').

**FAIL**
    [softmax]
    
    [convolutional]
    filters=16
**PASS**
    [convolutional]
    filters=16
    
    [softmax]

*Fix safety*: none.

Detected while inferring shapes (``cfggen.ir``), at every input size that is checked.
"""
CODE, NAME, SEVERITY, SCOPE = "DN209", "not-an-image", "error", "infer"
SUMMARY = "a spatial layer gets an input without width/height/channels"
check = None
