from .rank_metrics import rank_metrics
from .reranking import k_reciprocal_rerank

__all__ = ['rank_metrics', 'k_reciprocal_rerank']
