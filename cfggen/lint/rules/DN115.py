"""bad-input-size: a negative or overflowing input size in [net].

*Why*: darknet reads `width`, `height`, `channels` with `atoi` and checks only that they are not all
zero: a negative value (or one so large that `atoi` saturates, e.g. `width=99999999999999999999`
reads as -1) passes, and every layer shape computed from it is garbage. A product beyond 2^31-1
overflows darknet's `inputs`.

*Severity*: an error: darknet allocates a negative or overflowing input and crashes or exits.

**FAIL**
    [net]
    width=-416
**PASS**
    [net]
    width=416

*Fix safety*: not fixable automatically.

Detected while planning the network (``cfggen.ir.build.plan``).
"""
CODE, NAME, SEVERITY, SCOPE = "DN115", "bad-input-size", "error", "infer"
SUMMARY = "negative or overflowing [net] input size"
check = None
