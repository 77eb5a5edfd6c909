"""data-file-line: a .data line darknet drops, ignores or reads differently.

*Why*: darknet reads the `.data` file like a cfg without sections: every blank is deleted anywhere in
the line, the first `=` splits key and value, and the *first* of two lines with the same key wins.
`key=` with nothing after it is dropped with "Config file error line N, could parse: key"; a line
without `=` is a key without a value, so darknet uses that key's default; `names = my names.txt`
opens `mynames.txt`, and a trailing `# comment` becomes part of the path.

*Severity*: a warning: darknet goes on, with another value than the line seems to give (a
missing file it then names is reported on its own, as an error).

**FAIL**
    train = data/train.txt
    train = data/train2.txt     # ignored: the first train= wins
    names =                     # dropped
**PASS**
    train = data/train.txt
    names = data/obj.names

*Fix safety*: not fixable automatically.
"""
from __future__ import annotations

CODE, NAME, SEVERITY, SCOPE = "DN441", "data-file-line", "warning", "dataset"
SUMMARY = "a .data line darknet drops, ignores or reads differently"
check = None   # found by ``cfggen.dataset.checks`` (``validate --data``), not by the cfg engine
