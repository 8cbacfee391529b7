"""Running the fairmot command as a user does (a subprocess) and checking what it says."""
import contextlib
import io
import subprocess
import sys


def run_fairmot(*args, timeout=600):
    """``python -m fairmot ARGS``; the CompletedProcess with text stdout/stderr."""
    return subprocess.run([sys.executable, "-m", "fairmot", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout)


def run_main(*args):
    """``fairmot ARGS`` in this process (``fairmot.cli.main``), for the many quick error cases: the
    same code as the command, without starting Python and torch each time. A CompletedProcess."""
    from fairmot.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in args])
        except SystemExit as stop:  # argparse's usage errors
            code = stop.code if isinstance(stop.code, int) else 2
    return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())


def assert_one_line_error(proc, *fragments, command):
    """Exit 2, no traceback, exactly one line on stderr: ``fairmot COMMAND: error: ...``
    holding every fragment."""
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"fairmot {command}: error: "), proc.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
