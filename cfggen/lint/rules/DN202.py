"""shortcut-channel-mismatch: [shortcut] adds maps with different channel counts.

*Why*: darknet prints the two shapes and adds only the first min(C, C_from) channels; the output
keeps the previous layer's channels. That is darknet's documented partial residual: CSPNet's
csresnet/csresnext cfgs use it on purpose ("this is a partial residual connection", AlexeyAB),
ReXNet's reference code does `out[:, :C_in] += x`, enet-coco.cfg adds layer 90's 576 channels to
128. It can also be a `from=` that points one block off. If the partial residual is intended,
suppress it with `# cfggen: disable-next-line DN202` above the `[shortcut]` line.

*Severity*: a warning. Darknet builds and trains exactly what the file says (a documented, working
operation), so it is not an error; it is still worth a look because a wrong `from=` looks the same.
The spatial mismatch (DN201) stays an error. Every channel-only shortcut of a file is one design
choice, so a file gets one finding at the first, listing the others ("… and 5 more layers: …").

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
CODE, NAME, SEVERITY, SCOPE = "DN202", "shortcut-channel-mismatch", "warning", "infer"
SUMMARY = "[shortcut] adds maps with different channel counts (a partial residual)"
check = None


def fact(d) -> tuple:
    """All partial residuals of a file are one fact (see *Severity*)."""
    return ("partial-residual",)
