"""The ``fairmot`` command line: one sub-command per module in this package.

Each sub-command module exposes ``add_parser(subparsers)`` and ``run(args) -> int``.
User-facing errors are raised as :class:`fairmot.errors.UserError` and printed as one line.
"""
import argparse
import importlib
import logging
import sys

from fairmot.errors import UserError

# sub-command name -> module in fairmot.cli
COMMANDS = {
    "convert": "convert",
    "demo": "demo",
    "detect": "detect",
    "eval": "eval",
    "export": "export",
    "synth": "synth",
    "track": "track",
    "train": "train",
}


def build_parser():
    parser = argparse.ArgumentParser(prog="fairmot", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, module_name in COMMANDS.items():
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


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_OneLineFormatter(args.command))
    logging.basicConfig(level=logging.WARNING, handlers=[handler])
    try:
        return int(args._run(args) or 0)
    except UserError as err:
        print(f"fairmot {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"fairmot {args.command}: interrupted; outputs written so far are kept", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
