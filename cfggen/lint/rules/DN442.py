"""dataset-file-missing: a list or names file named by the .data file does not exist.

*Why*: darknet opens the `train=` list (default `data/train.txt`), the `valid=` list (with `-map`;
default: the train list) and the `names=` file (with `-map`, `map`, `test`; default
`data/names.list`) relative to the folder it runs in, and exits 1 with "Couldn't open file: <path>"
when one is missing: `train` after parsing the cfg, `-map` before training starts.

*Severity*: an error: darknet exits (for `names=`: in every command that reads it, `train -map`,
`map`, `test`).

**FAIL**
    train = data/tarin.txt      # no such file
**PASS**
    train = data/train.txt

*Fix safety*: not fixable automatically.
"""
from __future__ import annotations

CODE, NAME, SEVERITY, SCOPE = "DN442", "dataset-file-missing", "error", "dataset"
SUMMARY = "a list or names file named by the .data file does not exist"
check = None   # found by ``cfggen.dataset.checks`` (``validate --data``), not by the cfg engine
