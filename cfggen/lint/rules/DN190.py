"""bad-suppression: a `# cfggen:` comment cfggen cannot read.

*Why*: a suppression that does not parse suppresses nothing, so the finding it was written for
still fails the build, or, worse, a typo in a code hides nothing while looking as if it does.
Reported: an unknown directive, a directive without codes, an unknown code or slug, an `enable`
without a matching `disable`, a `disable-next-line` with no line after it.

Suppressions are whole-line comments (darknet has no inline comments):

    # cfggen: disable-next-line DN202[,DN304]   the next non-comment line; above a section
                                                header: the whole section
    # cfggen: disable DN214 ... # cfggen: enable DN214   a range of lines (enable without codes
                                                closes every open range)
    # cfggen: disable-file DN501                 the whole file

Codes or slugs (`shortcut-channel-mismatch`) may be used; several are separated by commas.

*Severity*: a warning: the comment has no effect on darknet; only the suppression it was meant to be
is lost.

**FAIL**
    # cfggen: disable-next-line DN2O2
**PASS**
    # cfggen: disable-next-line DN202

*Fix safety*: not fixable automatically.
"""
CODE, NAME, SEVERITY, SCOPE = "DN190", "bad-suppression", "warning", "suppress"
SUMMARY = "a '# cfggen:' comment that cannot be read"
check = None
