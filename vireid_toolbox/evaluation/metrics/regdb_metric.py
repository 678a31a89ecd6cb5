"""The RegDB evaluation protocol: visible-to-thermal and thermal-to-visible on one trial."""
from typing import Dict, List, Sequence

import numpy as np

from vireid_toolbox.registry import METRICS
from vireid_toolbox.structures.reid_data_sample import INFRARED, VISIBLE
from .base_vireid_metric import BaseVIReIDMetric, CollectedFeatures

REGDB_DIRECTIONS = {'v2t': (VISIBLE, INFRARED), 't2v': (INFRARED, VISIBLE)}
"""Direction -> (query modality, gallery modality)."""
DIRECTION_NAMES = {'v2t': 'visible-to-thermal', 't2v': 'thermal-to-visible'}


@METRICS.register_module()
class RegDBMetric(BaseVIReIDMetric):
    """RegDB: every test image of one modality queries every image of the other.

    The split (trial 1..10) is the evaluated data set's; average the ten
    trials' numbers outside. No camera rule applies and the CMC uses the raw
    ranking, as the reference ``eval_regdb`` does. Keys:
    ``regdb/<v2t|t2v>/<R1|R5|R10|R20|mAP|mINP>``.

    Args:
        directions (Sequence[str]): 'v2t' (visible queries, thermal gallery)
            and/or 't2v'. Defaults to both.
        **kwargs: ``ranks``, ``rerank``, ``rerank_cfg``, ``collect_device``,
            ``prefix`` of :class:`BaseVIReIDMetric`.
    """

    default_prefix = 'regdb'

    def __init__(self, directions: Sequence[str] = ('v2t', 't2v'), **kwargs) -> None:
        super().__init__(**kwargs)
        if not directions or any(d not in REGDB_DIRECTIONS for d in directions):
            raise ValueError(f'directions must be among {tuple(REGDB_DIRECTIONS)}, got {directions!r}')
        self.directions = tuple(directions)

    def evaluate_protocol(self, collected: CollectedFeatures) -> Dict[str, List[dict]]:
        """Each direction once: the whole test set of each modality."""
        out = {}
        for direction in self.directions:
            query_mod, gallery_mod = REGDB_DIRECTIONS[direction]
            query_idx = np.flatnonzero(collected.modalities == query_mod)
            gallery_idx = np.flatnonzero(collected.modalities == gallery_mod)
            if not query_idx.size or not gallery_idx.size:
                raise ValueError(f'RegDB {direction} needs both modalities in the test set; got '
                                 f'{query_idx.size} query and {gallery_idx.size} gallery images')
            out.update(self.evaluate_galleries(collected, query_idx, {direction: [gallery_idx]},
                                               ignore_cam_pairs=(), cmc_mode='standard'))
        return out

    def setting_labels(self, setting: str) -> dict:
        """One gallery, the whole other modality: no draw, one trial per trained split."""
        return dict(search='-', direction=DIRECTION_NAMES[setting], gallery_draw='none (all)',
                    num_trials=1)
