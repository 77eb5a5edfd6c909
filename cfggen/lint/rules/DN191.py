"""unused-suppression: a suppression that suppresses nothing.

*Why*: once the finding is fixed (or moved), the suppression comment stays behind and would hide
the next, different problem at that place. Reported per code, at the comment, for rules that are
enabled (a code switched off by `--ignore` or the configuration is not checked).

*Severity*: a warning: the comment changes nothing, but it may hide a future finding of that rule;
delete it.

**FAIL**
    # cfggen: disable-next-line DN202
    [convolutional]          # nothing DN202 here
**PASS**
    # cfggen: disable-next-line DN202
    [shortcut]               # a real partial-channel shortcut
    from=-3

*Fix safety*: not applied by `--fix`: delete the comment by hand.
"""
CODE, NAME, SEVERITY, SCOPE = "DN191", "unused-suppression", "warning", "suppress"
SUMMARY = "a suppression comment that suppresses nothing"
check = None
