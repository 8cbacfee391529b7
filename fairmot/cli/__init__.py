"""The fairmot command line: one sub-command per module in this package.

Each sub-command module exposes ``add_parser(subparsers)`` and ``run(args) -> int`` and imports
only argparse-level code at the top: torch, OpenCV and motmetrics load inside ``run``, so
``fairmot --help`` and argument errors answer at once. Errors meant for the user
(:class:`fairmot.errors.UserError`, a ValueError) are printed as one line with exit code 2.
"""
import argparse
import importlib
import logging
import signal
import sys

from fairmot.errors import UserError

# sub-command name -> module in fairmot.cli
COMMANDS = {
    "track": "track",
    "eval": "eval",
    "train": "train",
    "convert": "convert",
    "synth": "synth",
    "export": "export",
    "detect": "detect",
    "demo": "demo",
    "random-model": "random_model",
}
DESCRIPTION = ("FairMOT multi-object tracking: track people in videos, score trackers and models "
               "on MOTChallenge data, train and export networks.")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fairmot", description=DESCRIPTION)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module_name in COMMANDS.values():
        module = importlib.import_module(f"fairmot.cli.{module_name}")
        module.add_parser(sub).set_defaults(_run=module.run)
    return parser


class _OneLineFormatter(logging.Formatter):
    """Warnings as ``fairmot COMMAND: warning: message``, like the errors."""

    def __init__(self, command):
        super().__init__()
        self.command = command

    def format(self, record):
        return f"fairmot {self.command}: {record.levelname.lower()}: {record.getMessage()}"


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
        return int(args._run(args) or 0)
    except UserError as err:
        print(f"fairmot {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as stop:
        signum = getattr(stop, "signum", signal.SIGINT)  # TrackingInterrupted says which signal
        print(f"fairmot {args.command}: interrupted by {signal.Signals(signum).name}; outputs written so far "
              "are kept", file=sys.stderr)
        return 128 + int(signum)
    finally:
        log.removeHandler(handler)
        log.level, log.propagate = previous


if __name__ == "__main__":
    sys.exit(main())
