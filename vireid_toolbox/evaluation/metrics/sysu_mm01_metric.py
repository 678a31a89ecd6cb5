"""The SYSU-MM01 evaluation protocol: all/indoor search, single/multi-shot, 10 trials."""
from typing import Dict, List, Optional, Sequence, Tuple

from vireid_toolbox.datasets.sysu_mm01 import SYSU_GALLERY_CAMERAS, sysu_gallery, sysu_query
from vireid_toolbox.registry import METRICS
from .base_vireid_metric import BaseVIReIDMetric, CollectedFeatures

SHOT_NAMES = {1: 'single', 10: 'multi'}
"""Gallery images per (id, camera) of each setting name."""


@METRICS.register_module()
class SYSUMM01Metric(BaseVIReIDMetric):
    """SYSU-MM01: infrared queries against visible galleries drawn per trial.

    Queries are :func:`sysu_query` (every cam-3/6 image of the test ids, or of
    the val ids with ``split='val'``, the model-selection split); for
    each mode, shot count and trial the gallery is :func:`sysu_gallery`. The
    features are matched to those images by path, so the evaluated test set
    must be ``SYSUMM01Dataset(split='test')`` of the same ``data_root``. A
    cam-2 gallery image is ignored for a cam-3 query, the CMC is computed on
    the identity-deduplicated ranking (reference code). Keys:
    ``sysu/<all|indoor>-<single|multi>/<R1|R5|R10|R20|mAP|mINP>``.

    Args:
        data_root (str): Root of the SYSU-MM01 release.
        modes (Sequence[str]): Search modes, 'all' and/or 'indoor'.
        shots (Sequence[int]): 1 (single-shot) and/or 10 (multi-shot).
        num_trials (int): Gallery draws averaged. Defaults to 10.
        draw (str): 'seeded' (community reference draw) or 'official'
            (``rand_perm_cam.mat``); see :func:`sysu_gallery`.
        rand_perm_file (str, optional): ``rand_perm_cam.mat`` for 'official'.
        ignore_cam_pairs (Sequence[tuple]): ``(query cam, gallery cam)`` pairs
            ignored. Defaults to ((3, 2),).
        split (str): 'test', or 'val' to validate on the official val ids
            (the evaluated data set must then be ``split='val'``).
        **kwargs: ``ranks``, ``rerank``, ``rerank_cfg``, ``collect_device``,
            ``prefix`` of :class:`BaseVIReIDMetric`.
    """

    default_prefix = 'sysu'

    def __init__(self,
                 data_root: str,
                 modes: Sequence[str] = ('all', 'indoor'),
                 shots: Sequence[int] = (1, 10),
                 num_trials: int = 10,
                 draw: str = 'seeded',
                 rand_perm_file: Optional[str] = None,
                 ignore_cam_pairs: Sequence[Tuple[int, int]] = ((3, 2), ),
                 split: str = 'test',
                 **kwargs) -> None:
        super().__init__(**kwargs)
        bad_modes = [m for m in modes if m not in SYSU_GALLERY_CAMERAS]
        if bad_modes or not modes:
            raise ValueError(f'modes must be among {tuple(SYSU_GALLERY_CAMERAS)}, got {modes!r}')
        bad_shots = [s for s in shots if s not in SHOT_NAMES]
        if bad_shots or not shots:
            raise ValueError(f'shots must be among {tuple(SHOT_NAMES)}, got {shots!r}')
        if isinstance(num_trials, bool) or not isinstance(num_trials, int) or num_trials < 1:
            raise ValueError(f'num_trials must be a positive int, got {num_trials!r}')
        if draw not in ('seeded', 'official'):
            raise ValueError(f"draw must be 'seeded' or 'official', got {draw!r}")
        if split not in ('val', 'test'):
            raise ValueError(f"split must be 'val' or 'test', got {split!r}")
        self.split = split
        self.data_root = data_root
        self.modes = tuple(modes)
        self.shots = tuple(shots)
        self.num_trials = num_trials
        self.draw = draw
        self.rand_perm_file = rand_perm_file
        self.ignore_cam_pairs = tuple(tuple(pair) for pair in ignore_cam_pairs)

    def evaluate_protocol(self, collected: CollectedFeatures) -> Dict[str, List[dict]]:
        """Every setting and trial against the one query set."""
        query_idx = collected.indices_of(sysu_query(self.data_root, self.split), 'query',
                                         self.data_root)
        galleries = {}
        for mode in self.modes:
            for shots in self.shots:
                galleries[f'{mode}-{SHOT_NAMES[shots]}'] = [
                    collected.indices_of(
                        sysu_gallery(self.data_root, mode=mode, trial=trial, shots=shots,
                                     draw=self.draw, rand_perm_file=self.rand_perm_file,
                                     split=self.split),
                        f'{mode}-search gallery (trial {trial})', self.data_root)
                    for trial in range(self.num_trials)
                ]
        return self.evaluate_galleries(collected, query_idx, galleries,
                                       ignore_cam_pairs=self.ignore_cam_pairs, cmc_mode='unique')

    def setting_labels(self, setting: str) -> dict:
        """Infrared queries against the visible gallery of the setting's mode and shots."""
        mode, shots = setting.split('-')
        return dict(search=f'{mode}-search {shots}-shot', direction='infrared-to-visible',
                    gallery_draw=self.draw, num_trials=self.num_trials)
