"""Helpers shared by the metric losses."""
import torch


def pairwise_euclidean(x: torch.Tensor, y: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    """Euclidean distances ``M x N`` between the rows of ``x`` and of ``y``.

    The squared distance is clamped at ``eps`` before the square root so that
    the gradient stays finite at zero distance.
    """
    squared = (x.pow(2).sum(1, keepdim=True) + y.pow(2).sum(1)[None] - 2 * x @ y.t())
    return squared.clamp(min=eps).sqrt()


def check_pair(feats: torch.Tensor, labels: torch.Tensor, owner: str) -> None:
    """Raise a clear error unless ``feats`` is ``N x D`` and ``labels`` has ``N`` entries."""
    if feats.dim() != 2 or labels.shape != (feats.shape[0], ):
        raise ValueError(f'{owner}: expected features N x D and labels N, got '
                         f'{tuple(feats.shape)} and {tuple(labels.shape)}')
