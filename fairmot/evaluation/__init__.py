"""Scoring: HOTA, CLEAR MOT and identity metrics, detection AP, and models scored end to end.

- :mod:`.sequences`: finding MOTChallenge sequences and their frames (cheap to import);
- :mod:`.boxes`: the one box IoU;
- :mod:`.mot_metrics`: CLEAR MOT and IDF1 of result files by the official rules;
- :mod:`.hota`, :mod:`.hota_frames`: HOTA and its sub-metrics by TrackEval's rules;
- :mod:`.scoring`: a folder of results scored with the metrics asked for, in one table;
- :mod:`.detection_ap`: detection average precision;
- :mod:`.model_eval`: one network pass per frame for AP and tracking;
- :mod:`.report`: tables, JSON and CSV.

Names used most are importable from here; motmetrics loads on first use of one of them.
"""
from fairmot.utils.lazy import lazy_exports

_EXPORTS = {
    "evaluate_sequence": "mot_metrics", "evaluate_folder": "scoring", "summarize": "mot_metrics",
    "is_mot16_style": "mot_metrics", "iou_distance": "mot_metrics", "parse_metrics": "scoring",
    "hota_sequence": "hota", "hota_frames": "hota_frames",
    "average_precision": "detection_ap", "box_iou": "boxes",
    "format_table": "report", "summary_to_dict": "report", "write_json": "report", "write_csv": "report",
    "COLUMNS": "report", "RATE_COLUMNS": "report", "COUNT_COLUMNS": "report", "OVERALL": "report",
    "find_sequences": "sequences", "select_sequences": "sequences", "second_half_start": "sequences",
}
__all__ = sorted(_EXPORTS)

__getattr__ = lazy_exports(__name__, _EXPORTS)
