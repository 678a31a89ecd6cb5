"""The LLCM evaluation protocol of the DEEN code: both directions, 10 gallery draws."""
from typing import Dict, List, Sequence

from vireid_toolbox.datasets.llcm import llcm_gallery, llcm_query
from vireid_toolbox.registry import METRICS
from vireid_toolbox.structures.reid_data_sample import INFRARED, VISIBLE
from .base_vireid_metric import BaseVIReIDMetric, CollectedFeatures

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

    Args:
        data_root (str): Root of LLCM.
        directions (Sequence[str]): 'v2t' (visible queries, near-infrared
            gallery) and/or 't2v'. Defaults to both.
        num_trials (int): Gallery draws averaged. Defaults to 10.
        **kwargs: ``ranks``, ``rerank``, ``rerank_cfg``, ``collect_device``,
            ``prefix`` of :class:`BaseVIReIDMetric`.
    """

    default_prefix = 'llcm'

    def __init__(self, data_root: str, directions: Sequence[str] = ('v2t', 't2v'),
                 num_trials: int = 10, **kwargs) -> None:
        super().__init__(**kwargs)
        if not directions or any(d not in LLCM_DIRECTIONS for d in directions):
            raise ValueError(f'directions must be among {tuple(LLCM_DIRECTIONS)}, got {directions!r}')
        if isinstance(num_trials, bool) or not isinstance(num_trials, int) or num_trials < 1:
            raise ValueError(f'num_trials must be a positive int, got {num_trials!r}')
        self.data_root = data_root
        self.directions = tuple(directions)
        self.num_trials = num_trials

    def evaluate_protocol(self, collected: CollectedFeatures) -> Dict[str, List[dict]]:
        """Each direction: one query set, ``num_trials`` gallery draws."""
        out = {}
        for direction in self.directions:
            query_mod, gallery_mod = LLCM_DIRECTIONS[direction]
            query_idx = collected.indices_of(llcm_query(self.data_root, query_mod),
                                             f'{direction} query', self.data_root)
            galleries = [
                collected.indices_of(llcm_gallery(self.data_root, gallery_mod, trial),
                                     f'{direction} gallery (trial {trial})', self.data_root)
                for trial in range(self.num_trials)
            ]
            out.update(self.evaluate_galleries(collected, query_idx, {direction: galleries},
                                               ignore_cam_pairs=(), cmc_mode='unique',
                                               ignore_same_id_same_cam=True))
        return out
