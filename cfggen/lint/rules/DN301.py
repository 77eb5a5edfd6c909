"""head-filters-mismatch: the layer before a detection head has the wrong number of filters.

*Why*: [yolo] needs len(mask)*(classes+5) channels, [Gaussian_yolo] len(mask)*(classes+9), [region] num*(classes+coords+1), [detection] side^2*((1+coords)*num+classes) inputs. darknet exits (or asserts for [detection]).

**FAIL**
    [convolutional]
    filters=255
    
    [yolo]
    mask=0,1,2
    classes=1
**PASS**
    [convolutional]
    filters=18
    
    [yolo]
    mask=0,1,2
    classes=1

*Fix safety*: safe: `--fix` sets filters from classes and mask.

Detected while inferring shapes (``cfggen.ir``), at every input size that is checked.
"""
CODE, NAME, SEVERITY, SCOPE = "DN301", "head-filters-mismatch", "error", "infer"
SUMMARY = "the layer before a detection head has the wrong number of filters"
check = None
