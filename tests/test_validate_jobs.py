"""`cfggen validate --jobs N`: forked children and this process share the files through a queue; a
child that dies costs time, never a file; the output is the bytes of ``--jobs 1`` in every case.

The children are forked from this test process, so ``check_file`` patched here runs in them too.
Races are made deterministic by rendezvous files: a process waits (at most WAIT seconds) until
another has reached a point, instead of hoping it has.
"""
from __future__ import annotations

import os
import signal
import time

import pytest

from cfggen.commands import validate
from conftest import CORPUS, needs_shared
from conftest import run_cli as run

WAIT = 10.0
NAMES = ("enet-coco.cfg", "yolov4-tiny.cfg", "yolov3-spp.cfg", "efficientnet_b0.cfg", "yolov2-tiny.cfg",
         "csresnext50-panet-spp.cfg", "yolov3-tiny.cfg", "darknet19.cfg")

pytestmark = [needs_shared, pytest.mark.skipif(not hasattr(os, "fork"), reason="no os.fork on this platform")]


@pytest.fixture
def files(tmp_path):
    """Corpus files plus one of each other outcome: a non-network cfg (skipped) and a missing path."""
    other = tmp_path / "setup.cfg"
    other.write_text("[metadata]\nname = x\n")
    return [str(CORPUS / n) for n in NAMES] + [str(other), str(tmp_path / "missing.cfg")]


def validate_output(tmp_path, files, jobs, fmt="json"):
    """(exit code, the report's bytes, stderr) of one run."""
    target = tmp_path / f"out-{fmt}-{jobs}-{time.monotonic_ns()}"
    code, out, err = run("validate", "--format", fmt, "--jobs", jobs, "-o", target, *files)
    return code, target.read_bytes() if target.exists() else None, err


def wait_for(predicate) -> bool:
    deadline = time.monotonic() + WAIT
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.002)
    return True


def patch_check(monkeypatch, tmp_path, in_child=lambda path: None, in_parent=lambda path: None):
    """``check_file`` wrapped: the parent waits for a child's first file before its own (so that a child
    surely takes work), and the hooks run before each file. Returns the file naming the child's pid."""
    parent, real = os.getpid(), validate.check_file
    started = tmp_path / "child-started"

    def check_file(job, path, slim=False):
        if os.getpid() != parent:
            if not started.exists():   # written whole before it appears: the parent reads it at once
                part = tmp_path / f"child-{os.getpid()}"
                part.write_text(str(os.getpid()))
                os.replace(part, started)
            in_child(path)
        else:
            wait_for(started.exists)
            in_parent(path)
        return real(job, path, slim)

    monkeypatch.setattr(validate, "check_file", check_file)
    return started


@pytest.mark.parametrize("fmt", ["json", "sarif", "text", "github"])
def test_the_parent_and_a_child_both_check_files_and_the_output_is_that_of_one_process(monkeypatch, tmp_path, files, fmt):
    one = validate_output(tmp_path, files, 1, fmt)
    parent, real = os.getpid(), validate.check_file
    marks = tmp_path / "marks"
    marks.mkdir()

    def check_file(job, path, slim=False):
        mark = marks / str(os.getpid())
        if not mark.exists():   # each process's first file: wait until the other has one too
            mark.write_text("")
            wait_for(lambda: len(os.listdir(marks)) >= 2)
        return real(job, path, slim)

    monkeypatch.setattr(validate, "check_file", check_file)
    two = validate_output(tmp_path, files, 2, fmt)
    pids = {int(p) for p in os.listdir(marks)}
    assert parent in pids and len(pids) == 2
    assert one[0] == 2 and one[1] and two == one


def die_at_once(path):
    os._exit(1)


def kill_self(path):
    os.kill(os.getpid(), signal.SIGKILL)


def raise_error(path):
    raise RuntimeError("a bug in a child")


@pytest.mark.parametrize("death", [die_at_once, kill_self, raise_error])
def test_a_child_that_dies_loses_no_file(monkeypatch, tmp_path, files, death):
    one = validate_output(tmp_path, files, 1)
    started = patch_check(monkeypatch, tmp_path, in_child=death)
    assert validate_output(tmp_path, files, 2) == one
    assert started.exists()
    assert_reaped(int(started.read_text()))


def test_a_child_that_sends_a_truncated_frame_loses_no_file(monkeypatch, tmp_path, files):
    """The child sends one whole result, then half of the next and exits 0: the half is dropped and
    the file redone here (the exit status is not what tells a missing file)."""
    one = validate_output(tmp_path, files, 1)
    parent, real = os.getpid(), validate._write_all
    sent = []

    def write_all(fd, data):
        if os.getpid() != parent:
            sent.append(len(data))
            if len(sent) == 2:
                real(fd, data[:len(data) // 2])
                os._exit(0)
        real(fd, data)

    monkeypatch.setattr(validate, "_write_all", write_all)
    started = patch_check(monkeypatch, tmp_path, in_child=lambda path: time.sleep(0.01))
    assert validate_output(tmp_path, files, 2) == one
    assert started.exists()


def test_an_internal_error_is_the_same_with_children(monkeypatch, tmp_path, files):
    """A file that breaks a rule breaks the run in a child as in one process: the child dies, this
    process redoes the file and fails the same way (exit 3, one line, no traceback)."""
    real = validate.check_file

    def fail_on_tiny(job, path, slim=False):
        if path.endswith("yolov2-tiny.cfg"):
            raise RuntimeError("boom")
        return real(job, path, slim)

    monkeypatch.setattr(validate, "check_file", fail_on_tiny)
    one = validate_output(tmp_path, files, 1)
    patch_check(monkeypatch, tmp_path)
    two = validate_output(tmp_path, files, 2)
    assert one[0] == 3 and "internal error: RuntimeError: boom" in one[2] and "Traceback" not in one[2]
    assert two == one


def test_ctrl_c_kills_and_reaps_the_children(monkeypatch, tmp_path, files):
    def interrupt(path):
        raise KeyboardInterrupt

    started = patch_check(monkeypatch, tmp_path, in_child=lambda path: time.sleep(0.5), in_parent=interrupt)
    job = validate.Job(validate.Settings(None, None, None, True), "native", {}, "json", False, False, False,
                       False, False, (32, 2048), False)
    with pytest.raises(KeyboardInterrupt):
        validate.run_job(job, files, 2)
    assert_reaped(int(started.read_text()))


def assert_reaped(pid):
    """Gone and waited for: not a zombie (a zombie still takes signal 0) and not our child any more."""
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def test_without_fork_one_process_checks_everything(monkeypatch, tmp_path, files):
    one = validate_output(tmp_path, files, 1)
    pids = set()
    real = validate.check_file

    def check_file(job, path, slim=False):
        pids.add(os.getpid())
        return real(job, path, slim)

    monkeypatch.setattr(validate, "check_file", check_file)
    monkeypatch.delattr(os, "fork")
    assert validate_output(tmp_path, files, 2) == one
    assert pids == {os.getpid()}


def test_many_files_are_handed_out_in_units_of_neighbours(monkeypatch, tmp_path, files):
    """More files than queue entries: a unit is several files of similar size, every file in exactly
    one unit, largest first; the output is unchanged."""
    monkeypatch.setattr(validate, "_MAX_UNITS", 3)
    units = validate._units(files)
    assert len(units) == 3 and sorted(k for u in units for k in u) == list(range(len(files)))
    sizes = [validate._size(files[k]) for u in units for k in u]
    assert sizes == sorted(sizes, reverse=True) and sizes[0] > sizes[-1]
    one = validate_output(tmp_path, files, 1, "text")
    assert validate_output(tmp_path, files, 2, "text") == one


def test_fork_failure_leaves_the_work_to_this_process(monkeypatch, tmp_path, files):
    one = validate_output(tmp_path, files, 1)

    def no_process():
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", no_process)
    assert validate_output(tmp_path, files, 2) == one


def test_a_queue_the_pipe_takes_only_in_part_loses_no_file(monkeypatch, tmp_path, files):
    """A pipe smaller than the queue (non-blocking write, partial): two and a half entries go in, the
    half is never taken, and the files of the entries that did not fit are checked by the final pass."""
    one = validate_output(tmp_path, files, 1)
    real, queue_size = os.write, 2 * len(files)

    def write(fd, data):
        if len(data) == queue_size:
            return real(fd, bytes(data[:5]))
        return real(fd, data)

    monkeypatch.setattr(os, "write", write)
    assert validate_output(tmp_path, files, 2) == one
