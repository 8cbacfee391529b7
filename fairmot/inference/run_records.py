"""What a finished source's run leaves beside its results: ``<output>/<name>.run.json``.

The record says whether the run went to the end (``complete``), with which settings (a
``fingerprint`` of the weights' contents and every option that changes the results), and what it
measured (frames, tracks, frames/s, outages, drops, latency). It is written atomically after the
results are in place, so a result with a complete record is a complete result. A re-run of the same
command skips such sources (an interrupted archive run resumes); a result whose record says
incomplete is redone; a result without a record is not ours to replace (``--overwrite``).
"""
from __future__ import annotations

import hashlib
import json
import os
import socket
import time
from typing import Optional

from fairmot.utils.atomic import atomic_write_text

RECORD_SUFFIX = ".run.json"
_HASH_CHUNK = 1 << 20


def record_path(output_dir: str, name: str) -> str:
    return os.path.join(output_dir, name + RECORD_SUFFIX)


def file_digest(path: str) -> str:
    """sha256 of a file's contents (of an OpenVINO .xml and its .bin together): the same weights
    copied to another machine give the same digest, unlike a modification time."""
    digest = hashlib.sha256()
    paths = [path]
    if path.lower().endswith(".xml"):
        paths.append(os.path.splitext(path)[0] + ".bin")
    for part in paths:
        try:
            with open(part, "rb") as f:
                for chunk in iter(lambda: f.read(_HASH_CHUNK), b""):
                    digest.update(chunk)
        except OSError:
            digest.update(f"missing:{os.path.basename(part)}".encode())
    return digest.hexdigest()


def fingerprint(settings: dict) -> str:
    """A short digest of the settings (JSON-serialisable) that decide the results."""
    text = json.dumps(settings, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def read_record(output_dir: str, name: str) -> Optional[dict]:
    """The record of ``name`` in ``output_dir``, None if there is none (or it is unreadable)."""
    try:
        with open(record_path(output_dir, name), encoding="utf-8") as f:
            record = json.load(f)
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def summary_record(summary, location: str, settings: dict, rank: int = 0) -> dict:
    """The record of one run from its :class:`~fairmot.inference.pipeline.TrackingSummary`."""
    latency = {}
    if len(summary.latencies):
        latency = {"median_ms": round(summary.latency(0.5) * 1000, 1), "p95_ms": round(summary.latency(0.95) * 1000, 1)}
    return {
        "source": location, "name": summary.name, "complete": summary.complete, "stopped_by": summary.stopped_by,
        "frames": summary.frames, "skipped": summary.skipped, "tracks": summary.tracks,
        "wall_s": round(summary.wall, 3), "fps": round(summary.fps, 3),
        "received": summary.received, "dropped": summary.dropped,
        "gaps": [{"after_frame": g.after_frame, "seconds": round(g.seconds, 3), "missed": g.missed,
                  "attempts": g.attempts} for g in summary.gaps],
        "latency": latency, "damage": list(summary.damage),
        "results": summary.result_path, "video": summary.video_path, **summary.export_paths,
        "settings": settings, "fingerprint": fingerprint(settings),
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "host": socket.gethostname(), "rank": rank,
    }


def write_record(output_dir: str, record: dict) -> str:
    path = record_path(output_dir, record["name"])
    atomic_write_text(path, json.dumps(record, indent=1) + "\n")
    return path
