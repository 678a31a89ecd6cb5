from .modality_gap import PAIR_GROUPS, pair_distance_groups
from .rank_metrics import rank_metrics, rank_metrics_subsets
from .reranking import k_reciprocal_rerank

__all__ = [
    'rank_metrics', 'rank_metrics_subsets', 'k_reciprocal_rerank', 'PAIR_GROUPS',
    'pair_distance_groups'
]
