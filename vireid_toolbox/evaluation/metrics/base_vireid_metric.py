"""What every VI-ReID protocol metric shares: feature collection, distances, key tagging.

A metric collects each test image's feature once (``process``); the protocol
— which images are queries, which gallery each trial draws, which camera
rules apply — is applied in ``compute_metrics`` by the subclass, which only
has to name its query and gallery images.
"""
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from vireid_toolbox.evaluation.functional import (k_reciprocal_rerank, rank_metrics,
                                                  rank_metrics_subsets)

Item = Tuple[str, int, int]
"""``(img_path, pid, camera)`` as the protocol functions of the data sets return them."""

Galleries = Dict[str, List[np.ndarray]]
"""Setting name -> one array of collected-sample indices per trial."""


def _norm_path(path: str) -> str:
    return osp.normpath(osp.abspath(path))


@dataclass
class CollectedFeatures:
    """The test set as the metric collected it, one row per image.

    Attributes:
        feats (Tensor): ``N x D`` float32 features, L2-normalised.
        pids (np.ndarray): Identity labels.
        cams (np.ndarray): Camera labels.
        modalities (np.ndarray): 0 visible, 1 infrared.
        paths (list[str]): Normalised absolute image paths.
        tta (str | None): The test-time augmentation shared by every sample.
    """
    feats: torch.Tensor
    pids: np.ndarray
    cams: np.ndarray
    modalities: np.ndarray
    paths: List[str]
    tta: Optional[str]
    _index: Optional[Dict[str, int]] = field(default=None, init=False, repr=False)

    @classmethod
    def from_results(cls, results: Sequence[dict]) -> 'CollectedFeatures':
        """Stack the per-image dicts written by :meth:`BaseVIReIDMetric.process`."""
        if not results:
            raise ValueError('the metric received no sample: is the test dataloader empty?')
        ttas = sorted({str(r['tta']) for r in results})
        if len(ttas) > 1:
            raise ValueError(f'the samples were predicted with different test-time augmentations '
                             f'{ttas}: features of one evaluation must share their tta')
        dims = {r['feature'].shape for r in results}
        if len(dims) > 1:
            raise ValueError(f'pred_feature shapes differ between samples: {sorted(dims)}')
        paths = [_norm_path(r['img_path']) for r in results]
        if len(set(paths)) < len(paths):
            seen = set()
            twice = next(path for path in paths if path in seen or seen.add(path))
            raise ValueError(f'the metric received {twice} more than once (a padded duplicate of '
                             'a distributed sampler?): every test image must be evaluated once')
        feats = torch.from_numpy(np.stack([r['feature'] for r in results]))
        return cls(
            feats=F.normalize(feats.float(), dim=1),
            pids=np.array([r['pid'] for r in results], dtype=np.int64),
            cams=np.array([r['camera'] for r in results], dtype=np.int64),
            modalities=np.array([r['modality'] for r in results], dtype=np.int64),
            paths=paths,
            tta=results[0]['tta'])

    def indices_of(self, items: Sequence[Item], role: str, source: str) -> np.ndarray:
        """Indices of the protocol's images among the collected ones.

        Args:
            items (Sequence[Item]): The protocol's ``(img_path, pid, camera)``.
            role (str): 'query' or 'gallery', for the error message.
            source (str): Where the items come from (data root), for the error message.

        Returns:
            np.ndarray: One index per item, in the items' order.
        """
        if self._index is None:
            self._index = {path: i for i, path in enumerate(self.paths)}
        index = self._index
        paths = [_norm_path(path) for path, _, _ in items]
        missing = [path for path in paths if path not in index]
        if missing:
            raise ValueError(
                f'the {role} of the protocol of {source} needs {len(missing)} images that the '
                f'evaluated test set did not provide, e.g. {missing[:3]}; the test dataloader '
                'must hold the whole test split of the same data root')
        return np.array([index[path] for path in paths], dtype=np.int64)


class BaseVIReIDMetric(BaseMetric):
    """Collect test features once; evaluate the subclass's protocol on them.

    Subclasses implement :meth:`evaluate_protocol`, which returns, per setting
    name, the list of per-trial results of :meth:`evaluate_galleries`. Keys are
    ``<prefix>/<setting><tags>/<R1|...|mAP|mINP>`` in percent, means over
    trials; the per-trial values go to the log. ``<tags>`` is ``+rerank`` when
    re-ranking is on and ``+<tta>`` (e.g. ``+flip``) when the features came
    from test-time augmentation, so such numbers can never pass for plain ones.

    Distances are ``1 - cos`` of the L2-normalised features: the ranking is the
    one of the reference code's ``-(q . g)`` and of the Euclidean distance.

    After each evaluation :attr:`report` holds, per key, the mean, the
    per-trial values and the labels saying how the number was made (data set
    and version, split, search direction, gallery draw, number of trials,
    re-ranking, flip TTA); ``tools/test.py --out`` writes it.

    Args:
        ranks (Sequence[int]): CMC ranks reported as ``R<k>``. Defaults to
            (1, 5, 10, 20).
        rerank (bool): Re-rank with k-reciprocal encoding (Zhong et al. 2017),
            per trial. Defaults to False.
        rerank_cfg (dict, optional): ``k1``, ``k2``, ``lambda_value`` of
            :func:`k_reciprocal_rerank` (defaults 20, 6, 0.3).
        collect_device (str): Device used to gather results across ranks.
        prefix (str, optional): Key prefix; defaults to the subclass's.
    """

    def __init__(self,
                 ranks: Sequence[int] = (1, 5, 10, 20),
                 rerank: bool = False,
                 rerank_cfg: Optional[dict] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        ranks = tuple(ranks)
        if not ranks or any(isinstance(k, bool) or not isinstance(k, int) or k < 1 for k in ranks):
            raise ValueError(f'ranks must be positive ints, got {ranks!r}')
        self.ranks = ranks
        self.rerank = bool(rerank)
        self.rerank_cfg = dict(rerank_cfg or {})
        unknown = set(self.rerank_cfg) - {'k1', 'k2', 'lambda_value'}
        if unknown:
            raise ValueError(f'rerank_cfg keys must be k1, k2, lambda_value; got {sorted(unknown)}')
        self.report: Dict[str, dict] = {}

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Keep each sample's feature, identity, camera, modality, path and tta."""
        for sample in data_samples:
            path = sample.get('img_path', '<unknown path>')
            if 'pred_feature' not in sample:
                raise KeyError(f'sample {path} has no pred_feature: run the model in predict mode')
            for key in ('gt_label', 'camera', 'modality', 'img_path'):
                if key not in sample:
                    raise KeyError(f'sample {path} has no {key!r}; the test pipeline must end '
                                   'with PackReIDInputs')
            self.results.append(
                dict(feature=sample['pred_feature'].detach().cpu().float().numpy(),
                     pid=int(sample['gt_label']),
                     camera=int(sample['camera']),
                     modality=int(sample['modality']),
                     img_path=sample['img_path'],
                     tta=sample.get('tta')))

    def evaluate_protocol(self, collected: CollectedFeatures) -> Dict[str, List[dict]]:
        """Per setting, the per-trial ``rank_metrics`` results (subclasses)."""
        raise NotImplementedError

    def setting_labels(self, setting: str) -> dict:
        """``search`` (mode and shots, or '-'), ``direction``, ``gallery_draw`` and
        ``num_trials`` of one setting (subclasses)."""
        raise NotImplementedError

    def number_labels(self, setting: str, tta: Optional[str]) -> dict:
        """Everything that says how the numbers of ``setting`` were made."""
        meta = self.dataset_meta or {}
        split = meta.get('split', 'unknown')
        if 'trial' in meta:
            split = f'{split} (trial {meta["trial"]})'
        return dict(dataset=meta.get('dataset_name', 'unknown'),
                    dataset_version=meta.get('dataset_version', 'unknown'), split=split,
                    **self.setting_labels(setting), rerank=self.rerank,
                    flip_tta=tta == 'flip', tta=tta or 'none')

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Apply the protocol; return means over trials, log every trial."""
        collected = CollectedFeatures.from_results(results)
        tags = ('+rerank' if self.rerank else '') + (f'+{collected.tta}' if collected.tta else '')
        logger = MMLogger.get_current_instance()
        metrics, self.report = {}, {}
        for setting, trials in self.evaluate_protocol(collected).items():
            per_trial = [self._percent(result) for result in trials]
            name = f'{setting}{tags}'
            for trial, values in enumerate(per_trial):
                logger.info(f'{self.prefix}/{name} trial {trial}: ' +
                            ' '.join(f'{k} {v:.2f}' for k, v in values.items()))
            labels = self.number_labels(setting, collected.tta)
            for key in per_trial[0]:
                values = [trial_values[key] for trial_values in per_trial]
                metrics[f'{name}/{key}'] = float(np.mean(values))
                self.report[f'{self.prefix}/{name}/{key}'] = dict(
                    value=metrics[f'{name}/{key}'], trials=values, **labels)
        return metrics

    def _percent(self, result: dict) -> Dict[str, float]:
        values = {f'R{k}': 100.0 * float(result['cmc'][k - 1]) for k in self.ranks}
        values['mAP'] = 100.0 * result['mAP']
        values['mINP'] = 100.0 * result['mINP']
        return values

    def evaluate_galleries(self, collected: CollectedFeatures, query_idx: np.ndarray,
                           galleries: Galleries, **rank_kwargs) -> Dict[str, List[dict]]:
        """Rank one query set against every gallery of every setting.

        Without re-ranking the query distances are computed once, to the pool
        of all galleries (their union, in collected-sample order), and one
        :func:`rank_metrics_subsets` call evaluates every trial as a subset of
        the pool's columns: the pool is bucketed once for all trials. Exact
        distance ties are broken by the pool column, i.e. by the collected
        sample order, not by the order of the trial's gallery. With
        re-ranking the distances depend on the gallery, so each trial is
        re-ranked and ranked on its own (ties by the trial's gallery order).

        Args:
            collected (CollectedFeatures): The test set.
            query_idx (np.ndarray): Indices of the queries.
            galleries (Galleries): Setting -> per-trial gallery indices.
            **rank_kwargs: Protocol options of :func:`rank_metrics`.

        Returns:
            dict: Setting -> list of per-trial ``rank_metrics`` results.
        """
        queries = collected.feats[query_idx]
        query_ids, query_cams = collected.pids[query_idx], collected.cams[query_idx]
        max_rank = max(self.ranks)
        if self.rerank:
            out = {}
            for setting, trials in galleries.items():
                out[setting] = []
                for gallery_idx in trials:
                    dist = k_reciprocal_rerank(queries, collected.feats[gallery_idx],
                                               **self.rerank_cfg)
                    out[setting].append(
                        rank_metrics(dist, query_ids, collected.pids[gallery_idx], query_cams,
                                     collected.cams[gallery_idx], max_rank=max_rank,
                                     **rank_kwargs))
            return out
        pool = np.unique(np.concatenate([g for trials in galleries.values() for g in trials]))
        pool_dist = (1.0 - queries @ collected.feats[pool].T).numpy()
        subsets = [np.searchsorted(pool, g) for trials in galleries.values() for g in trials]
        results = iter(rank_metrics_subsets(pool_dist, query_ids, collected.pids[pool], query_cams,
                                            collected.cams[pool], subsets=subsets,
                                            max_rank=max_rank, **rank_kwargs))
        return {setting: [next(results) for _ in trials] for setting, trials in galleries.items()}
