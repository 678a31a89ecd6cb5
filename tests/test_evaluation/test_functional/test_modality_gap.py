"""Pair groups of the modality-gap analysis on a hand-made example."""
import numpy as np
import pytest
import torch

from vireid_toolbox.evaluation.functional import pair_distance_groups


def test_groups_of_a_small_example():
    feats = torch.tensor([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0], [-1.0, 0.0]])
    ids = torch.tensor([0, 0, 1, 1])
    modalities = torch.tensor([0, 1, 0, 1])
    groups = pair_distance_groups(feats, ids, modalities)
    c = 1 - 1 / np.sqrt(2)
    # pairs (0,1) inter pos, (0,2) intra neg, (0,3) inter neg, (1,2) inter neg,
    # (1,3) intra neg, (2,3) inter pos
    np.testing.assert_allclose(np.sort(groups['inter-modality positive']),
                               [1.0, 1 + 1 / np.sqrt(2)])
    np.testing.assert_allclose(np.sort(groups['intra-modality negative']), [c, 1.0])
    np.testing.assert_allclose(np.sort(groups['inter-modality negative']), [c, 2.0])
    assert groups['intra-modality positive'].size == 0


def test_rejects_mismatched_inputs():
    with pytest.raises(ValueError, match='expected features N x D'):
        pair_distance_groups(torch.zeros(3, 2), torch.zeros(2), torch.zeros(3))
