"""``cfggen validate``: darknet's view of each cfg plus the mistakes darknet misses.

Exit codes: 0 no error-level finding (no warning either with ``--strict``; always 0 with
``--exit-zero``), 1 findings at that level (or, with ``--diff``, changes ``--fix`` would make),
2 usage, configuration or unreadable input, 3 internal error (``cli.main``).
"""
from __future__ import annotations

import gc
import os
import struct
import sys
from collections import namedtuple

import click

from cfggen.errors import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, CfggenError, InputError
from cfggen.options import SIZE, output_option

FORMATS = ("auto", "text", "json", "github", "sarif")
TARGET_CHOICES = ("alexeyab", "hank-ai", "pjreddie", "opencv", "all")   # cfggen.targets.ORDER + all


def collect_paths(paths: tuple[str, ...]) -> list[str]:
    """Files as given; directories recursed for ``*.cfg`` (sorted, hidden folders skipped)."""
    out: list[str] = []
    for p in paths:
        if os.path.isdir(p):
            found = []
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                found.extend(os.path.join(root, f) for f in sorted(files) if f.endswith(".cfg"))
            if not found:
                raise InputError("no .cfg files in this directory", path=p)
            out.extend(found)
        else:
            out.append(p)
    return out


def is_network(doc) -> bool:
    """A cfg meant as a darknet network: some section darknet knows, read its way.

    Darknet takes the whole stripped line as the section type, so ``[net`` (no ``]``), ``[net]#x``
    or ``[Convolutional]`` are broken sections of a network cfg, not another file format: the name
    is compared without its brackets, anything after the first ``]`` and case. Only a file with no
    such section at all (``setup.cfg``, ``tox.ini``) is not a network cfg.
    """
    from cfggen.ir.layers import SECTION_NAMES
    return any(s.header[1:].split("]", 1)[0].lower() in SECTION_NAMES for s in doc.sections)


def choose_format(fmt: str) -> str:
    """``auto``: GitHub annotations inside a GitHub Actions workflow, text elsewhere."""
    if fmt != "auto":
        return fmt
    return "github" if os.environ.get("GITHUB_ACTIONS") and os.environ.get("GITHUB_WORKFLOW") else "text"


def _selectors(ctx, param, values) -> tuple[str, ...] | None:
    if not values:
        return None
    from cfggen.lint.config import check_selector
    out: list[str] = []
    for value in values:
        for item in value.replace(" ", ",").split(","):
            if not item:
                continue
            if not check_selector(item):
                raise click.BadParameter(f"'{item}' is not a rule code, slug or prefix (see `cfggen rules`)")
            out.append(item)
    return tuple(out)


@click.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="auto", show_default=True,
              help="Report format; auto = github inside GitHub Actions, else text.")
@click.option("--select", multiple=True, callback=_selectors,
              help="Only these rules: codes, slugs or prefixes, comma-separated (replaces the configured select).")
@click.option("--ignore", multiple=True, callback=_selectors,
              help="Skip these rules: codes, slugs or prefixes (added to the configured ignore).")
@click.option("--strict", is_flag=True, help="Warnings fail too (exit 1).")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even with findings (2 still means unusable input).")
@click.option("--fix", is_flag=True, help="Apply the safe fixes in place (atomically; re-validated first).")
@click.option("--diff", is_flag=True, help="Print the changes --fix would make as a unified diff; write nothing.")
@click.option("--data", "data_file", type=click.Path(dir_okay=False), default=None,
              help="Darknet .data file: check the dataset as darknet reads it for training (lists, images, "
                   "labels, names, backup folder), against the first cfg when one is given.")
@click.option("--names", "names_file", type=click.Path(dir_okay=False), default=None,
              help="Class names file (one per line) to compare with classes= of every head.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), default=None,
              help="Read settings from this pyproject.toml/setup.cfg instead of discovering one.")
@click.option("--no-config", is_flag=True, help="Ignore configuration files.")
@click.option("--table", is_flag=True, help="Print darknet's layer table for each file.")
@click.option("--size", "size", type=SIZE, default=None,
              help="Validate at this input size only (instead of the cfg's own and every training size).")
@click.option("--native-only", is_flag=True, help="Check the cfg's own size only, not the multi-scale sizes.")
@click.option("--sizes", "list_sizes", is_flag=True, help="List the input sizes at which every layer fits.")
@click.option("--aspect", is_flag=True, help="With --sizes: non-square sizes too.")
@click.option("--range", "size_range", nargs=2, type=int, default=(32, 2048), show_default=True,
              help="With --sizes: smallest and largest size.")
@click.option("--concise", is_flag=True, help="One line per finding (no source snippet, no hint).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Check files (with --data: the dataset's images and labels too) in N processes (default: one "
                   "per CPU core when several files are given). The output is the same for every N.")
@click.option("--target", "targets", multiple=True, type=click.Choice(TARGET_CHOICES),
              help="Also say whether this reader loads each file (repeatable; 'all' = every reader): alexeyab, "
                   "hank-ai, pjreddie, opencv. With --fix/--diff and hank-ai: port the file to hank-ai.")
@output_option("Write the report to FILE (atomically).")
def validate(paths, fmt, select, ignore, strict, exit_zero, fix, diff, data_file, names_file, config_file,
             no_config, table, size, native_only, list_sizes, aspect, size_range, concise, jobs, output, targets):
    """Validate Darknet cfg files: keys, values, shapes, wiring, heads, training schedule; every
    multi-scale training size. Directories are searched for *.cfg files. With --data, also the
    dataset darknet trains on (the cfg is then optional)."""
    from cfggen import cli
    from cfggen.report import FORMATTERS, Report

    cli.QUICK_EXIT = True   # nothing here needs the interpreter's teardown (files are written atomically)
    if not paths and data_file is None:
        from cfggen.errors import UsageError
        raise UsageError("give one or more cfg files (or folders), or --data DATA")
    fmt = choose_format(fmt)
    settings = Settings(select, ignore, config_file, no_config)
    names = _names(data_file, names_file)
    options = {"names": names} if names is not None else {}
    if data_file is not None:
        options["training"] = True   # the training facts (DN460-DN462) are said with --data only
    report = Report([], concise=concise)
    sizes = [size] if size else ("native" if native_only else "training")
    port = _port_mode(targets, fix, diff)
    job = Job(settings, sizes, options, fmt, concise, fix, diff, table, list_sizes, size_range, aspect,
              tuple(targets), port)
    chunks: list[str] = []
    diffs: list[str] = []
    files = collect_paths(paths)
    for outcome in run_job(job, files, jobs):
        path, status, message, result, notices, file_chunks, file_diffs, verdicts = outcome
        if status == "unreadable":
            report.errors.append(message)
            report.unchecked.append((len(report.analyses), path, status, result))
        elif status == "skipped":
            report.unchecked.append((len(report.analyses), path, status, result))
        else:
            report.analyses.append(result)
            if verdicts is not None:
                report.targets[result.path] = verdicts
        report.notices.extend(notices)
        chunks.extend(file_chunks)
        diffs.extend(file_diffs)
    if data_file is not None and not diff:
        _dataset(report, data_file, names, settings, fmt, concise, jobs, reuse=size is None and not port)
    if diff:
        text = "".join(diffs)
    else:
        text = "".join(chunks) + FORMATTERS[fmt](report)
    if not diff and not text.isascii():
        from cfggen.source import printable_bytes
        text = printable_bytes(text)   # a report shows undecodable bytes as \xNN
    if output:
        from cfggen.fileio import write_atomic
        write_atomic(output, text)
    elif diff:
        # a diff carries the file's own bytes, undecodable ones included, so that it applies with `patch`
        from cfggen.fileio import write_stdout
        write_stdout(text)
    else:
        sys.stdout.write(text)
    if report.errors:
        for err in report.errors:
            click.echo(err, err=True)
        return EXIT_USAGE
    if diff:
        return EXIT_FINDINGS if diffs and not exit_zero else EXIT_OK
    if exit_zero:
        return EXIT_OK
    failing = ("error", "warning") if strict else ("error",)
    if any(v.status != "ok" for vs in report.targets.values() for v in vs.values()):
        return EXIT_FINDINGS
    return EXIT_FINDINGS if any(d.severity in failing for d in report.findings) else EXIT_OK


class Job(namedtuple("Job", "settings sizes options fmt concise fix diff table list_sizes size_range aspect targets port",
                     defaults=((), False))):
    """Everything checking one file needs: made once, inherited by forked worker processes."""

    __slots__ = ()
    settings: "Settings"
    sizes: object
    options: dict
    fmt: str
    concise: bool
    fix: bool
    diff: bool
    table: bool
    list_sizes: bool
    size_range: tuple[int, int]
    aspect: bool
    targets: tuple[str, ...]        # --target readers (default ())
    port: bool                      # --fix/--diff --target hank-ai: port the file (default False)


# (path, status "checked"/"skipped"/"unreadable", error line, Analysis/FileResult or the reason,
#  notices, table/--sizes chunks, diffs, the readers' verdicts or None)
Outcome = tuple


def check_file(job: Job, path: str, slim: bool = False) -> Outcome:
    """Read, classify and validate one path. ``slim``: send back only what the report needs (a worker)."""
    from cfggen.cfg.parse import read_file
    from cfggen.lint.engine import analyze
    from cfggen.report import FileResult, format_table, part
    try:
        doc = read_file(path)
    except CfggenError as exc:
        return path, "unreadable", str(exc), exc.message, [], [], [], None
    if doc.sections and not is_network(doc):
        return (path, "skipped", "", "not a darknet network cfg (no darknet section)",
                [f"{path}: skipped: not a darknet network cfg (no [net] and no layer section)"], [], [], None)
    enabled, severity = job.settings.for_file(path)
    sizes, options = job.sizes, job.options

    def run(d):
        return analyze(d, sizes, enabled, severity=severity, options=options)

    notices: list[str] = []
    diffs: list[str] = []
    chunks: list[str] = []
    if job.port:
        doc = _port(doc, path, job.fix and not job.diff, diffs, notices)
    analysis = run(doc)
    if (job.fix or job.diff) and not job.port:
        analysis = _fix(analysis, run, path, job.fix and not job.diff, diffs, notices)
    verdicts = None
    if job.targets:
        from cfggen.targets import check
        verdicts = check(doc, job.targets, analysis, enabled)
        if slim:
            verdicts = _portable(verdicts, analysis, job.fmt)
    if job.table:
        chunks.append(format_table(analysis))
    if job.list_sizes:
        from cfggen.sizes_report import valid_sizes_text
        chunks.append(valid_sizes_text(analysis, job.size_range, job.aspect))
    result = FileResult(path, analysis.findings, job.fmt, part(job.fmt, analysis, job.concise)) if slim else analysis
    return path, "checked", "", result, notices, chunks, diffs, verdicts


def _portable(verdicts: dict, analysis, fmt: str) -> dict:
    """The readers' verdicts as a worker sends them back: without the layer lists (no report shows
    them; they are most of the pickle) and, for GitHub annotations and SARIF, with every end column resolved
    while the document is at hand (the parent only has the file's report piece)."""
    from cfggen.findings import replace
    from cfggen.report import end_column
    out = {}
    for name, v in verdicts.items():
        findings = v.findings
        if fmt in ("github", "sarif"):
            findings = tuple(replace(d, end_col=end_column(analysis, d)) for d in findings)
        out[name] = replace(v, findings=findings, layers=(), extra={})
    return out


def run_job(job: Job, paths: list[str], jobs: int | None) -> list[Outcome]:
    """Every path's outcome, in order; in ``jobs`` processes when that pays.

    Default: one process per CPU core when several files are given. The other processes are forked
    children (they inherit the job and every imported module; nothing is pickled but results) and
    this process does a share of the files too, so that with two cores neither sits idle.
    """
    from cfggen import cli
    if cli.OWNS_PROCESS:
        # every module is imported by now and lives as long as the process: the collector need not
        # walk those objects again (and forked children then share their pages instead of copying them)
        gc.freeze()
    if jobs is None:
        from cfggen.cores import usable_cores
        jobs = usable_cores() if len(paths) > 1 else 1
    jobs = min(jobs, len(paths))
    if jobs > 1 and hasattr(os, "fork"):   # no fork (Windows): spawning would re-import everything
        return _forked(job, paths, jobs)
    return [check_file(job, p) for p in paths]


# How the processes of a --jobs run share the work.
#
# A queue pipe holds the numbers of the units of work (a unit: a file, largest files first; a few
# neighbouring files when there are very many), written in full before the first fork and then
# closed, so that a read at its end is end-of-file. Every process, this one included, reads one
# number at a time: the faster process takes more files, and this process, which also unpickles the
# children's results between its own files, takes fewer. A pipe read is atomic (the kernel holds the
# pipe's lock for the whole read), so no two processes take the same number. (Measured on the 95-file
# corpus, 2 cores: a fixed split, largest first into bins of equal bytes, left this process waiting
# 3-37 ms for the child at the end; the queue, 2-4 ms.)
#
# Each child sends back every file's outcome as soon as it has it, as a frame (4-byte length +
# pickle of (index, outcome)) on its own result pipe, and leaves with os._exit. This process reads
# the result pipes between its own files (non-blocking) and to end-of-file at the end, before
# waiting for the children, so that a child never blocks on a full pipe while being waited for. Any
# file whose outcome did not arrive (a child that crashed, was killed, or sent a truncated frame) is
# then checked here: a child's death costs time, never a file.
_UNIT = struct.Struct("<H")
_FRAME = struct.Struct("<I")
_MAX_UNITS = 2048    # 2 bytes each: the whole queue fits in one 4 KiB page, the smallest pipe buffer


class _Child:
    """A forked child as this process sees it: its result pipe and the bytes not yet unpickled."""

    __slots__ = ("pid", "fd", "buf", "broken")

    def __init__(self, pid: int, fd: int):
        self.pid, self.fd, self.buf, self.broken = pid, fd, bytearray(), False


def _units(paths: list[str]) -> list[list[int]]:
    """The queue's units: indices of ``paths``, largest files first (the long ones start early and
    the short ones fill the gaps at the end), at most ``_MAX_UNITS`` units."""
    order = sorted(range(len(paths)), key=lambda k: -_size(paths[k]))
    per = -(-len(order) // _MAX_UNITS)
    return [order[i:i + per] for i in range(0, len(order), per)]


def _forked(job: Job, paths: list[str], jobs: int) -> list[Outcome]:
    import pickle  # noqa: F401 - imported once here, not in every child (pickle alone costs ~3 ms)
    import signal  # noqa: F401
    units = _units(paths)
    queue, feed = os.pipe()
    os.set_blocking(feed, False)   # nobody reads yet: a pipe smaller than assumed must not hang us
    try:
        os.write(feed, b"".join(_UNIT.pack(u) for u in range(len(units))))
    except BlockingIOError:   # then the final pass below checks every file
        pass
    os.close(feed)
    out: list = [None] * len(paths)
    children: list[_Child] = []
    sys.stdout.flush()   # a child inherits unflushed output; it leaves with os._exit, but be sure
    sys.stderr.flush()
    try:
        for _ in range(jobs - 1):
            if not _fork(job, paths, units, queue, children):
                break   # no more processes to be had: the others share the work
        for unit in _take(queue, len(units)):
            for k in units[unit]:
                out[k] = check_file(job, paths[k], slim=True)
                if children:
                    _receive(children, out, block=False)
        _receive(children, out, block=True)
    finally:
        os.close(queue)
        _end(children)
    for k, outcome in enumerate(out):
        if outcome is None:   # a child died before sending it
            out[k] = check_file(job, paths[k], slim=True)
    return out


def _fork(job: Job, paths: list[str], units: list[list[int]], queue: int, children: list[_Child]) -> bool:
    """Start one more child on the queue and list it in ``children``; False when the system has no
    process to spare.

    SIGINT is blocked across the fork, so that a Ctrl-C cannot land between the fork and the child's
    ``try`` (the child would then unwind into the caller's code as a second copy of the program), nor
    between the fork and the listing here (the child would be left running, never waited for)."""
    import signal
    r, w = os.pipe()
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, (signal.SIGINT,))
    try:
        pid = os.fork()
    except OSError:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        os.close(r)
        os.close(w)
        return False
    if pid == 0:
        code = 1
        try:
            os.close(r)
            for other in children:
                os.close(other.fd)
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
            _serve(job, paths, units, queue, w)
            code = 0
        finally:
            os._exit(code)   # no atexit handlers, no stdio flush, no unwinding into the caller
    os.close(w)
    os.set_blocking(r, False)
    children.append(_Child(pid, r))
    signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    return True


def _serve(job: Job, paths: list[str], units: list[list[int]], queue: int, w: int) -> None:
    """A child's life: take units until the queue is empty, send each file's outcome as it is done."""
    import pickle
    # the child leaves with os._exit: nothing it allocates needs collecting (a corpus run makes no
    # cyclic garbage at all). As fast as the CLI's raised threshold; ~3% faster than a host's default.
    gc.disable()
    dumps, pack, protocol = pickle.dumps, _FRAME.pack, pickle.HIGHEST_PROTOCOL
    for unit in _take(queue, len(units)):
        for k in units[unit]:
            data = dumps((k, check_file(job, paths[k], slim=True)), protocol)
            _write_all(w, pack(len(data)) + data)


def _take(queue: int, count: int):
    """Unit numbers from the queue until it is empty. A short read or a number out of range (neither
    happens on a pipe) ends the taking: whatever nobody did is done by the parent's final pass."""
    size, unpack = _UNIT.size, _UNIT.unpack
    while True:
        entry = os.read(queue, size)
        if len(entry) < size:
            return
        unit = unpack(entry)[0]
        if unit >= count:
            return
        yield unit


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _receive(children: list[_Child], out: list, block: bool) -> None:
    """Read what the children have sent; ``block``: read every pipe to end-of-file and wait for the
    children (then none is left)."""
    for child in list(children):
        if block:
            os.set_blocking(child.fd, True)
        while True:
            try:
                chunk = os.read(child.fd, 1 << 16)
            except BlockingIOError:
                break
            if not chunk:   # end-of-file: the child has exited (or is exiting)
                children.remove(child)
                os.close(child.fd)
                os.waitpid(child.pid, 0)
                break
            if not child.broken:
                child.buf += chunk
        if not child.broken:
            _unpickle(child, out)


def _unpickle(child: _Child, out: list) -> None:
    """The complete frames at the start of the child's buffer, into ``out``."""
    import pickle
    buf, pos, head = child.buf, 0, _FRAME.size
    end = len(buf)
    while end - pos >= head:
        stop = pos + head + _FRAME.unpack_from(buf, pos)[0]
        if stop > end:
            break
        try:
            k, outcome = pickle.loads(buf[pos + head:stop])
        except Exception:   # noqa: BLE001 - cannot happen on an intact pipe; the parent redoes the rest
            child.broken = True
            buf.clear()
            return
        if 0 <= k < len(out) and out[k] is None:
            out[k] = outcome
        pos = stop
    del buf[:pos]


def _end(children: list[_Child]) -> None:
    """Children still running when this process stops early (Ctrl-C, an error): killed and waited for."""
    import signal
    for child in children:
        try:
            os.close(child.fd)
        except OSError:   # closed already
            pass
        try:
            os.kill(child.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            os.waitpid(child.pid, 0)
        except ChildProcessError:
            pass
    children.clear()


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


class Settings:
    """Command-line selectors merged with each file's configuration (cached per folder)."""

    def __init__(self, select, ignore, config_file, no_config):
        from cfggen.lint.config import Config, ConfigFinder, read_config_file
        self.select, self.ignore = select, ignore or ()
        self.fixed: Config | None = None
        self.finder = None
        if config_file is not None:
            if not os.path.isfile(config_file):
                raise InputError("no such configuration file", path=config_file)
            self.fixed = read_config_file(config_file)
            if self.fixed is None:
                from cfggen.lint.config import ConfigError
                raise ConfigError("has no [tool.cfggen] (pyproject.toml) or [cfggen] (setup.cfg) section",
                                  path=config_file)
        elif no_config:
            self.fixed = Config()
        else:
            self.finder = ConfigFinder()
        self._cache: dict[tuple, frozenset[str]] = {}

    def for_file(self, path: str):
        from cfggen.lint.config import enabled_codes
        config = self.fixed if self.fixed is not None else self.finder.for_file(path)
        select = self.select if self.select is not None else config.select
        ignore = tuple(config.ignore) + tuple(self.ignore) + config.ignores_for(path)
        key = (select, ignore)
        enabled = self._cache.get(key)
        if enabled is None:
            enabled = self._cache[key] = enabled_codes(select, ignore)
        return enabled, config.severity


def _names(data_file, names_file):
    if data_file is None and names_file is None:
        return None
    from cfggen.lint.rules.DN408 import load_names
    return load_names(data_file, names_file, missing_ok=data_file is not None and names_file is None)


def _dataset(report, data_file, names, settings, fmt, concise, jobs, reuse: bool) -> None:
    """The dataset checks of ``--data``, judged against the first cfg checked, added to the report.

    The .data and names files DN408 read (``names``) are not read again; nor is the cfg analysed again
    when its Analysis is at hand at the cfg's own size (``reuse``: no --size, no port; not in a --jobs
    run, whose workers send back the report alone)."""
    from cfggen.dataset.checks import check_dataset
    from cfggen.dataset.report import file_results, stamped
    from cfggen.lint.engine import Analysis
    first = next(iter(report.analyses), None)
    cfg = first.path if first is not None else None
    analysis = first if reuse and isinstance(first, Analysis) else None
    found = check_dataset(data_file, cfg, jobs, progress=True, analysis=analysis, data=names.data,
                          names=(names.names_path, names.names) if names.names is not None else None)
    enabled, severity = settings.for_file(data_file)
    report.analyses.extend(file_results(stamped(found, enabled, severity), fmt, concise))


def _fix(analysis, run, path, write, diffs, notices):
    """Apply the safe fixes; write them (``--fix``) or collect a diff (``--diff``). Returns the analysis to report."""
    from cfggen.lint.fix import fix_analysis
    result = fix_analysis(analysis, run)
    if result.refused:
        notices.append(f"{path}: {result.refused}; file left as it was" if not result.changed else
                              f"{path}: {result.refused} (earlier fixes kept)")
    if not result.changed:
        return analysis
    if write:
        from cfggen.fileio import write_atomic
        write_atomic(path, result.text)
        notices.append(f"{path}: fixed {result.applied} finding{'s' * (result.applied != 1)}")
        return result.analysis
    diffs.append(result.diff(path))
    return analysis


def _port_mode(targets, fix, diff) -> bool:
    """``--fix/--diff`` with ``--target hank-ai`` ports the file; other readers have no rewrites."""
    if not (fix or diff) or not targets:
        return False
    from cfggen.targets import expand
    names = set(expand(targets))
    if "hank-ai" in names:
        return True
    if names - {"alexeyab"}:
        from cfggen.errors import UsageError
        raise UsageError("--fix/--diff with --target: only hank-ai has rewrites (use --target hank-ai)")
    return False


def _port(doc, path, write, diffs, notices):
    """Apply the hank-ai port; report what cannot be ported. Returns the document to validate."""
    from cfggen.targets.port import port_to_hank
    result = port_to_hank(doc)
    for line, what in result.blockers:
        notices.append(f"{path}:{line}: hank-ai: cannot port: {what}")
    if result.refused:
        notices.append(f"{path}: hank-ai: {result.refused}; file left as it was")
    if not result.changed:
        return doc
    if not write:
        diffs.append(result.diff(path))
        return doc
    from cfggen.cfg.parse import parse
    from cfggen.fileio import write_atomic
    write_atomic(path, result.text)
    n = len(result.edits)
    notices.append(f"{path}: hank-ai: rewrote {n} line{'s' * (n != 1)} (" +
                          "; ".join(result.why[k] for k in sorted(result.why)[:5]) + (", ..." if n > 5 else "") + ")")
    return parse(result.text, path)
