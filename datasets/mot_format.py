"""MOTChallenge text formats: ``seqinfo.ini``, ground truth / detection / result rows.

Rows are kept as float64 arrays with the MOTChallenge column order
``frame, id, x, y, w, h, conf_or_mark, class_or_wx, visibility_or_wy, wz``; files with fewer
columns (6 to 9) are padded with -1 so every consumer sees 10 columns.
"""
import configparser
import math
import os

import numpy as np

# ground-truth row formats: mot15 (every row a pedestrian), mot16 (MOT16/17/20 mark + class), auto
GT_FORMATS = ("auto", "mot15", "mot16")

MOT_COLUMNS = 10


def read_seqinfo(seq_dir):
    """Read ``<seq_dir>/seqinfo.ini`` into a dict with typed fields.

    Keys: name, im_dir, frame_rate, length, width, height, im_ext. A file that is not such an INI
    file, or holds values of the wrong kind (a frame rate that is not a positive number, ...), is a
    ValueError saying which.
    """
    path = os.path.join(seq_dir, "seqinfo.ini")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path} not found: a MOTChallenge sequence folder needs seqinfo.ini")
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path)
    except (configparser.Error, UnicodeDecodeError) as err:
        raise ValueError(f"{path} is not an INI file with a [Sequence] section "
                         f"({str(err).splitlines()[0]})") from None
    if "Sequence" not in parser:
        raise ValueError(f"{path} has no [Sequence] section")
    sec = parser["Sequence"]

    def number(key, kind, default):
        text = sec.get(key, str(default)).strip()
        try:
            value = kind(text)
        except ValueError:
            raise ValueError(f"{path}: {key}={text!r} is not {'an integer' if kind is int else 'a number'}") from None
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"{path}: {key}={text!r} must be a finite number >= 0")
        return value

    return {
        "name": sec.get("name", os.path.basename(os.path.normpath(seq_dir))),
        "im_dir": sec.get("imDir", "img1"),
        "frame_rate": number("frameRate", float, 30),
        "length": number("seqLength", int, 0),
        "width": number("imWidth", int, 0),
        "height": number("imHeight", int, 0),
        "im_ext": sec.get("imExt", ".jpg"),
    }


def load_mot_rows(path):
    """Load a MOTChallenge text file (comma or whitespace separated) as an (N, 10) float64 array.

    Missing trailing columns are filled with -1; an empty file gives a (0, 10) array.
    """
    fast = _load_regular_rows(path)
    if fast is not None:
        return fast
    rows = []
    with open(path) as f:
        for line_no, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            fields = line.replace(",", " ").split()
            if len(fields) < 6:
                raise ValueError(f"{path}:{line_no}: expected at least 6 fields "
                                 f"(frame,id,x,y,w,h), got {len(fields)}")
            try:
                values = [float(v) for v in fields[:MOT_COLUMNS]]
            except ValueError:
                raise ValueError(f"{path}:{line_no}: non-numeric field in {line!r}") from None
            rows.append(values + [-1.0] * (MOT_COLUMNS - len(values)))
    if not rows:
        return np.zeros((0, MOT_COLUMNS), dtype=np.float64)
    return np.asarray(rows, dtype=np.float64)


def _load_regular_rows(path):
    """NumPy's C parser for the common case (same delimiter and column count on every line;
    several times faster on MOT17's 100k-row files). None when the file is irregular: the
    line-by-line parser then reads it and names any bad line."""
    with open(path) as f:
        first = f.readline()
    if not first.strip():
        return None
    delimiter = "," if "," in first else None
    try:
        rows = np.loadtxt(path, dtype=np.float64, delimiter=delimiter, ndmin=2)
    except ValueError:
        return None
    if rows.size == 0 or not 6 <= rows.shape[1] <= MOT_COLUMNS:
        return None
    pad = np.full((len(rows), MOT_COLUMNS - rows.shape[1]), -1.0)
    return np.hstack([rows, pad])


def split_by_frame(rows):
    """Map frame number -> rows of that frame (frames without rows are absent)."""
    if len(rows) == 0:
        return {}
    frames = rows[:, 0].astype(np.int64)
    order = np.argsort(frames, kind="stable")
    frames, rows = frames[order], rows[order]
    starts = np.flatnonzero(np.r_[True, frames[1:] != frames[:-1]])
    ends = np.r_[starts[1:], len(frames)]
    return {int(frames[s]): rows[s:e] for s, e in zip(starts, ends)}


def format_result_row(frame, track_id, tlwh, score, cls=-1):
    """One MOTChallenge result line: ``frame,id,x,y,w,h,score,class,-1,-1``; class -1 for a
    one-class run (as MOTChallenge results), else the class number (MOT17 / VisDrone column 8)."""
    x, y, w, h = tlwh
    return f"{int(frame)},{int(track_id)},{x:.2f},{y:.2f},{w:.2f},{h:.2f},{score:.4f},{int(cls)},-1,-1\n"


class MotResultWriter:
    """Write tracking results frame by frame, flushed after every frame.

    A crash or Ctrl-C keeps every frame written so far. Use as a context manager.
    """

    def __init__(self, path):
        parent = os.path.dirname(os.path.abspath(path))
        os.makedirs(parent, exist_ok=True)
        self.path = path
        self._file = open(path, "w")
        self._good = 0  # bytes of whole frames on disk

    def write_frame(self, frame, tracks):
        """``tracks``: iterable of (track_id, tlwh, score) or (track_id, tlwh, score, class number).
        A failed write (a full disk) leaves the file holding exactly the frames written before
        it, then raises the OSError."""
        text = "".join(format_result_row(frame, *track) for track in tracks)
        try:
            self._file.write(text)
            self._file.flush()
        except OSError:
            self._truncate_to_good()
            raise
        self._good = self._file.tell()

    def _truncate_to_good(self):
        try:
            self._file.close()  # may fail again flushing what the failed write left buffered
        except OSError:
            pass
        try:
            os.truncate(self.path, self._good)
        except OSError:
            pass
        self._file = open(os.devnull, "w")

    def close(self):
        if not self._file.closed:
            self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
