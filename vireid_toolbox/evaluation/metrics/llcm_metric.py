"""The LLCM evaluation protocol of the DEEN code: both directions, 10 gallery draws."""
from typing import Dict, List, Sequence

import numpy as np

from vireid_toolbox.datasets.id_folders import seeded_draw_groups
from vireid_toolbox.datasets.llcm import llcm_gallery, llcm_query
from vireid_toolbox.registry import METRICS
from vireid_toolbox.structures.reid_data_sample import INFRARED, VISIBLE
from .base_vireid_metric import BaseVIReIDMetric, CollectedFeatures, Item
from .regdb_metric import DIRECTION_NAMES

LLCM_DIRECTIONS = {'v2t': (VISIBLE, INFRARED), 't2v': (INFRARED, VISIBLE)}
"""Direction -> (query modality, gallery modality)."""


@METRICS.register_module()
class LLCMMetric(BaseVIReIDMetric):
    """LLCM: every test image of one modality against a seeded one-per-(id, camera) gallery.

    Queries are :func:`llcm_query`, galleries :func:`llcm_gallery` for each
    trial (``random.seed(trial)``). A gallery image with the query's identity
    *and* camera is ignored; the CMC uses the identity-deduplicated ranking
    (DEEN ``eval_llcm``). Features are matched to the images by path, so the
    evaluated test set must be ``LLCMDataset(split='test')`` of ``data_root``.
    Keys: ``llcm/<v2t|t2v>/<R1|R5|R10|R20|mAP|mINP>``.

    With ``split='val'`` (model selection) the evaluated set is
    ``LLCMDataset(split='val')``, whose images sit in the training folders:
    queries are its images of one modality, galleries the same seeded draw over
    its (id, camera) groups of the other.

    Args:
        data_root (str): Root of LLCM.
        directions (Sequence[str]): 'v2t' (visible queries, near-infrared
            gallery) and/or 't2v'. Defaults to both.
        num_trials (int): Gallery draws averaged. Defaults to 10.
        split (str): 'test', or 'val' for the held-out training ids.
        **kwargs: ``ranks``, ``rerank``, ``rerank_cfg``, ``collect_device``,
            ``prefix`` of :class:`BaseVIReIDMetric`.
    """

    default_prefix = 'llcm'

    def __init__(self, data_root: str, directions: Sequence[str] = ('v2t', 't2v'),
                 num_trials: int = 10, split: str = 'test', **kwargs) -> None:
        super().__init__(**kwargs)
        if not directions or any(d not in LLCM_DIRECTIONS for d in directions):
            raise ValueError(f'directions must be among {tuple(LLCM_DIRECTIONS)}, got {directions!r}')
        if isinstance(num_trials, bool) or not isinstance(num_trials, int) or num_trials < 1:
            raise ValueError(f'num_trials must be a positive int, got {num_trials!r}')
        if split not in ('val', 'test'):
            raise ValueError(f"split must be 'val' or 'test', got {split!r}")
        self.split = split
        self.data_root = data_root
        self.directions = tuple(directions)
        self.num_trials = num_trials

    def evaluate_protocol(self, collected: CollectedFeatures) -> Dict[str, List[dict]]:
        """Each direction: one query set, ``num_trials`` gallery draws."""
        out = {}
        for direction in self.directions:
            query_mod, gallery_mod = LLCM_DIRECTIONS[direction]
            if self.split == 'val':
                query_idx = np.flatnonzero(collected.modalities == query_mod)
                draws = [_collected_draw(collected, gallery_mod, trial)
                         for trial in range(self.num_trials)]
            else:
                query_idx = collected.indices_of(llcm_query(self.data_root, query_mod),
                                                 f'{direction} query', self.data_root)
                draws = [llcm_gallery(self.data_root, gallery_mod, trial)
                         for trial in range(self.num_trials)]
            galleries = [
                collected.indices_of(draw, f'{direction} gallery (trial {trial})', self.data_root)
                for trial, draw in enumerate(draws)
            ]
            out.update(self.evaluate_galleries(collected, query_idx, {direction: galleries},
                                               ignore_cam_pairs=(), cmc_mode='unique',
                                               ignore_same_id_same_cam=True))
        return out

    def setting_labels(self, setting: str) -> dict:
        """One seeded image per (id, camera) of the gallery modality, ``num_trials`` draws."""
        return dict(search='-', direction=DIRECTION_NAMES[setting], gallery_draw='seeded',
                    num_trials=self.num_trials)


def _collected_draw(collected: CollectedFeatures, modality: int, trial: int) -> List[Item]:
    """The seeded one-per-(id, camera) draw over the collected images of ``modality``."""
    groups = {}
    for index in np.flatnonzero(collected.modalities == modality):
        key = (int(collected.pids[index]), int(collected.cams[index]))
        groups.setdefault(key, []).append(collected.paths[index])
    return seeded_draw_groups([(pid, cam, sorted(paths)) for (pid, cam), paths in
                               sorted(groups.items())], trial, shots=1)
