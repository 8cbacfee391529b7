"""The fairmot command line: one sub-command per module in this package.

Each sub-command module exposes ``add_parser(subparsers)`` and ``run(args) -> int`` and imports
only argparse-level code at the top: torch, OpenCV and motmetrics load inside ``run``, so
``fairmot --help`` and argument errors answer at once. Errors meant for the user
(:class:`fairmot.errors.UserError`, a ValueError) are printed as one line with exit code 2, as
are the operating system's refusals (a full disk, a path not allowed) and running out of memory.
Anything else is a bug: one line saying so, exit code 1, and the traceback only when
``FAIRMOT_DEBUG=1`` is set.
"""
import argparse
import importlib
import logging
import os
import signal
import sys

from fairmot.errors import UserError
from fairmot.utils.stop_signals import stop_signals_interrupt

# sub-command name -> module in fairmot.cli
COMMANDS = {
    "track": "track",
    "eval": "eval",
    "train": "train",
    "distill": "distill",
    "convert": "convert",
    "synth": "synth",
    "export": "export",
    "detect": "detect",
    "demo": "demo",
    "random-model": "random_model",
    "tune": "tune",
}
# what an interrupted command tells the user; a module's own ON_INTERRUPT says it for that command
ON_INTERRUPT = "outputs written so far are kept"
DESCRIPTION = ("FairMOT multi-object tracking: track people in videos, score trackers and models "
               "on MOTChallenge data, train and export networks.")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fairmot", description=DESCRIPTION)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module_name in COMMANDS.values():
        module = importlib.import_module(f"fairmot.cli.{module_name}")
        module.add_parser(sub).set_defaults(_run=module.run,
                                            _on_interrupt=getattr(module, "ON_INTERRUPT", ON_INTERRUPT))
    return parser


class _OneLineFormatter(logging.Formatter):
    """Warnings as ``fairmot COMMAND: warning: message``, like the errors."""

    def __init__(self, command):
        super().__init__()
        self.command = command

    def format(self, record):
        return f"fairmot {self.command}: {record.levelname.lower()}: {record.getMessage()}"


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def describe_os_error(err: OSError) -> str:
    """``cannot use PATH: No space left on device``; the message alone without a path."""
    reason = err.strerror or _first_line(err)
    paths = [p for p in (err.filename, err.filename2) if p is not None]
    return f"cannot use {' -> '.join(map(str, paths))}: {reason}" if paths else reason


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # the package's warnings (all its loggers are under "fairmot") as one line each, for this run
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_OneLineFormatter(args.command))
    log = logging.getLogger("fairmot")
    previous = (log.level, log.propagate)
    log.addHandler(handler)
    log.setLevel(logging.WARNING)
    log.propagate = False
    try:
        with stop_signals_interrupt():
            return int(args._run(args) or 0)
    except UserError as err:
        print(f"fairmot {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as stop:
        signum = getattr(stop, "signum", signal.SIGINT)  # TrackingInterrupted says which signal
        print(f"fairmot {args.command}: interrupted by {signal.Signals(signum).name}; {args._on_interrupt}",
              file=sys.stderr)
        return 128 + int(signum)
    except MemoryError:
        print(f"fairmot {args.command}: error: out of memory: use a smaller --input-size, batch or "
              "model", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"fairmot {args.command}: error: {describe_os_error(err)}", file=sys.stderr)
        return 2
    except Exception as err:  # a bug: say so in one line; the traceback is for whoever fixes it
        if os.environ.get("FAIRMOT_DEBUG"):
            raise
        print(f"fairmot {args.command}: internal error: {type(err).__name__}: {_first_line(err)} "
              "(a bug in fairmot: run again with FAIRMOT_DEBUG=1 for the traceback and report it)",
              file=sys.stderr)
        return 1
    finally:
        log.removeHandler(handler)
        log.level, log.propagate = previous


if __name__ == "__main__":
    sys.exit(main())
