"""The tracker configuration file ``fairmot tune`` writes and ``--tracker-config`` reads.

``{"tracker": "hybrid", "options": {"high_thresh": 0.71, ...}, ...}``: ``options`` are keyword
arguments of :func:`fairmot.trackers.create_tracker`; the other keys (metric, sequences, scores)
record how the configuration was found and are not read back.
"""
from __future__ import annotations

import json
from typing import Dict

from fairmot.errors import UserError
from fairmot.trackers import list_trackers, tracker_options


def read_tracker_config(path: str) -> Dict[str, object]:
    """``{"tracker": name, "options": {...}}`` from ``path``, checked (UserError naming the problem)."""
    try:
        with open(path) as f:
            data = json.load(f)
    except FileNotFoundError:
        raise UserError(f"--tracker-config {path} not found") from None
    except (OSError, UnicodeDecodeError) as err:
        raise UserError(f"--tracker-config {path} cannot be read: {getattr(err, 'strerror', None) or err}") from None
    except ValueError as err:
        raise UserError(f"--tracker-config {path} is not JSON ({err})") from None
    if not isinstance(data, dict) or not isinstance(data.get("options", {}), dict):
        raise UserError(f"--tracker-config {path}: expected an object with \"tracker\" and \"options\" "
                        "(a file written by fairmot tune)")
    tracker = data.get("tracker")
    if tracker not in list_trackers():
        raise UserError(f"--tracker-config {path}: tracker {tracker!r} is not one of {', '.join(list_trackers())}")
    options = data.get("options", {})
    unknown = sorted(set(options) - set(tracker_options(tracker)))
    if unknown:
        raise UserError(f"--tracker-config {path}: tracker {tracker!r} has no option {', '.join(unknown)}")
    return {"tracker": tracker, "options": dict(options)}


def tracker_config_record(tracker: str, options: Dict[str, object], **about) -> str:
    """The file's text: the tracker, its options, then ``about`` (how they were found)."""
    return json.dumps({"tracker": tracker, "options": options, **about}, indent=2) + "\n"
