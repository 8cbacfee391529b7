"""Running the fairmot command as a user does (a subprocess) and checking what it says."""
import contextlib
import io
import os
import subprocess
import sys


def run_fairmot(*args, timeout=600):
    """``python -m fairmot ARGS``; the CompletedProcess with text stdout/stderr."""
    return subprocess.run([sys.executable, "-m", "fairmot", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout)


def _as_in_a_terminal():
    """A background job (nohup, CI) starts with SIGINT ignored, and Python then keeps ignoring it:
    give the child the default, as a terminal would."""
    import signal
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_fairmot(*args):
    """``python -m fairmot ARGS`` started, not waited for (to send it signals); text pipes."""
    return subprocess.Popen([sys.executable, "-m", "fairmot", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=_as_in_a_terminal)


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


_SIGNAL_AT_FORWARD = """
import os, signal, sys
# as in a terminal, whatever this test runs under (a background job starts with SIGINT ignored)
signal.signal(signal.SIGINT, signal.default_int_handler)
signal.signal(signal.SIGTERM, signal.SIG_DFL)
signal.signal(signal.SIGHUP, signal.SIG_DFL)
from fairmot.cli import main
from fairmot.inference import torch_detector
forward, calls = torch_detector.Detector.forward, []
def forward_then_signal(self, blob):
    calls.append(1)
    if len(calls) == int(os.environ["STOP_AT_FORWARD"]):
        os.kill(os.getpid(), getattr(signal, os.environ["STOP_SIGNAL"]))
    return forward(self, blob)
torch_detector.Detector.forward = forward_then_signal
sys.exit(main(sys.argv[1:]))
"""


def run_until_signal(signal_name, at_forward, *args, timeout=600):
    """``fairmot ARGS`` in a fresh process that sends itself ``signal_name`` during the network's
    ``at_forward``-th forward pass (the frame is finished first, as for a real Ctrl-C)."""
    env = dict(os.environ, STOP_SIGNAL=signal_name, STOP_AT_FORWARD=str(at_forward))
    return subprocess.run([sys.executable, "-c", _SIGNAL_AT_FORWARD, *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, env=env)
