"""The ``cfggen`` command group.

Subcommands live in ``cfggen/commands/`` and are imported only when invoked, so ``cfggen validate``
never pays for numpy or jinja2. Commands parse options, call the library, format, and return an exit
code; ``main`` is the one place that turns a ``CfggenError`` into a one-line message.
"""
from __future__ import annotations

import gc
import importlib
import os
import sys

import click

from cfggen import __version__
from cfggen.errors import EXIT_INTERNAL, CfggenError

# name -> "module:attribute" of a click command
COMMANDS: dict[str, str] = {
    "validate": "cfggen.commands.validate:validate",
    "build": "cfggen.commands.build:build",
    "list": "cfggen.commands.build:list_variants",
    "rules": "cfggen.commands.rules:rules",
    "adapt": "cfggen.commands.adapt:adapt",
    "weights": "cfggen.commands.weights:weights",
    "profile": "cfggen.commands.profile:profile",
    "import": "cfggen.commands.import_:import_",
    "export": "cfggen.commands.export:export",
    "draw": "cfggen.commands.draw:draw",
    "anchors": "cfggen.commands.anchors:anchors",
}

HELP = {
    "validate": "Check cfg files: shapes, wiring, heads, keys; every training size.",
    "build": "Generate a cfg (EfficientNet, MixNet, MobileNetV2/V3, GhostNet, ShuffleNetV2, PeleeNet, EfficientDet) "
             "with a classifier or YOLO head.",
    "list": "List the generator's variants with layers, parameters and BFLOPs.",
    "rules": "List the lint rules, or print one rule's documentation.",
    "adapt": "Rewrite a detector cfg for a new class count, input size, anchors or batch, or a dataset (--data).",
    "weights": "Inspect, check, extract and initialise Darknet .weights files.",
    "profile": "Estimate per-layer time (roofline), FLOP vs time shares and darknet's memory.",
    "import": "Import a pretrained PyTorch checkpoint of a network `build` makes into a darknet cfg + weights.",
    "export": "Export a cfg + .weights to ONNX, computing what darknet's forward pass computes.",
    "draw": "Draw a cfg as SVG or HTML: layers, skips, folded blocks, findings, time share.",
    "anchors": "Anchors from a dataset's labels: darknet's avg IoU, Ultralytics' BPR, masks per head.",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, attr = target.split(":")
        try:
            return getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError):
            return None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, HELP.get(name, "")) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cfggen")
@click.option("--debug", is_flag=True, help="Show a traceback for internal errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Generate, validate and convert Darknet .cfg network files."""
    ctx.obj = {"debug": debug}


# True when cfggen was started as a program (not main(argv) called by a host such as a test runner):
# only then does it tune the process-wide garbage collector
OWNS_PROCESS = False
# Set by a command that leaves nothing to tear down (``validate``): the console script then exits
# without the interpreter's teardown, which frees every record of the run one by one (~8 ms after
# a corpus run, as much as a tenth of a small one).
QUICK_EXIT = False


def main(argv: list[str] | None = None) -> None:
    """Console entry point: run the group, map errors to one line and an exit code."""
    global OWNS_PROCESS
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    if argv is None:
        # the console script: the process is cfggen's. A run allocates hundreds of thousands of small
        # acyclic records (options, layers, findings) that reference counting frees; collecting every
        # 700 allocations walks them again and again for nothing (~7% of a corpus run). Cycles are
        # still collected, less often.
        OWNS_PROCESS = True
        gc.set_threshold(20_000, 50, 50)
    try:
        rc = cli.main(args=argv, prog_name="cfggen", standalone_mode=False)
    except click.exceptions.Exit as exc:
        rc = exc.exit_code
    except click.UsageError as exc:
        _usage_line(exc)
        rc = exc.exit_code
    except click.ClickException as exc:
        exc.show()
        rc = exc.exit_code
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        rc = 1
    except CfggenError as exc:
        click.echo(str(exc), err=True)
        rc = exc.exit_code
    except BrokenPipeError:
        rc = 0
    except Exception as exc:  # noqa: BLE001 - the last line of defence: never a traceback
        if debug:
            raise
        click.echo(f"cfggen: internal error: {type(exc).__name__}: {exc} (rerun with --debug)", err=True)
        rc = EXIT_INTERNAL
    code = rc if isinstance(rc, int) else 0
    if OWNS_PROCESS and QUICK_EXIT:
        _quick_exit(code)
    sys.exit(code)


def _usage_line(exc: click.UsageError) -> None:
    """A bad argument or option as one line (click's own form is a usage block, a blank line and the
    message), then one hint line naming the command's help."""
    command = exc.ctx.command_path if exc.ctx is not None else "cfggen"
    message = " ".join(exc.format_message().split())
    click.echo(f"{command}: error: {message}", err=True)
    click.echo(f"hint: '{command} --help' lists its arguments and options", err=True)


def _quick_exit(code: int) -> None:
    """``os._exit`` once the output is out: the streams are flushed first, as a normal exit does (a
    reader that has gone away, as with ``| head``, is not an error: there is nothing more to say)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (BrokenPipeError, ValueError):
            pass
    os._exit(code)


if __name__ == "__main__":   # python -m cfggen.cli: run the importable module's main (it owns the state)
    from cfggen.cli import main as _main
    _main()
