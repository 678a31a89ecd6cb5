"""The metrics file ``tools/test.py --out`` writes, read back.

Layout: ``{"config", "checkpoint", "checkpoint_sha256", "metrics": {key: entry}}``
where each entry holds ``value`` (mean over the trials), ``trials`` (the
per-trial values) and the labels of :meth:`BaseVIReIDMetric.number_labels`.
"""
import json
from typing import Dict


def read_metrics_file(path: str) -> dict:
    """The whole record; ``ValueError`` naming the file when it is not one."""
    with open(path) as f:
        try:
            record = json.load(f)
        except json.JSONDecodeError as error:
            raise ValueError(f'{path} is not a JSON metrics file: {error.msg}') from None
    if not isinstance(record, dict) or not isinstance(record.get('metrics'), dict):
        raise ValueError(f'{path}: expected the object tools/test.py --out writes, with a '
                         '"metrics" mapping of key: {"value": ...}')
    return record


def metric_values(path: str) -> Dict[str, float]:
    """``{key: value}`` of a metrics file."""
    return {key: float(entry['value']) for key, entry in read_metrics_file(path)['metrics'].items()}
