import numpy as np
import pytest
import torch

from vireid_toolbox.evaluation.functional import k_reciprocal_rerank


def rerank_loop(query, gallery, k1, k2, lambda_value):
    """The community code's per-image loops (float64 instead of its float16 V)."""
    feats = np.concatenate([query, gallery]).astype(np.float64)
    num_q, num = len(query), len(feats)
    sq = (feats**2).sum(1)
    dist = np.maximum(sq[:, None] + sq[None, :] - 2 * feats @ feats.T, 0)
    dist = np.transpose(dist / np.max(dist, axis=0))
    rank = np.argsort(dist, axis=1, kind='stable')
    V = np.zeros_like(dist)
    for i in range(num):
        forward = rank[i, :k1 + 1]
        backward = rank[forward, :k1 + 1]
        recip = forward[np.where(backward == i)[0]]
        expansion = recip
        for cand in recip:
            half = int(np.around(k1 / 2))
            cand_forward = rank[cand, :half + 1]
            cand_backward = rank[cand_forward, :half + 1]
            cand_recip = cand_forward[np.where(cand_backward == cand)[0]]
            if len(np.intersect1d(cand_recip, recip)) > 2 / 3 * len(cand_recip):
                expansion = np.append(expansion, cand_recip)
        expansion = np.unique(expansion)
        weight = np.exp(-dist[i, expansion])
        V[i, expansion] = weight / np.sum(weight)
    if k2 != 1:
        V = np.stack([np.mean(V[rank[i, :k2], :], axis=0) for i in range(num)])
    inv_index = [np.where(V[:, k] != 0)[0] for k in range(num)]
    jaccard = np.zeros((num_q, num))
    for i in range(num_q):
        temp_min = np.zeros(num)
        for k in np.where(V[i, :] != 0)[0]:
            temp_min[inv_index[k]] += np.minimum(V[i, k], V[inv_index[k], k])
        jaccard[i] = 1 - temp_min / (2 - temp_min)
    final = jaccard * (1 - lambda_value) + dist[:num_q] * lambda_value
    return final[:, num_q:]


@pytest.mark.parametrize('num_q, num_g, k1, k2, lambda_value', [
    (5, 20, 4, 3, 0.3),
    (8, 30, 6, 1, 0.3),
    (10, 40, 20, 6, 0.3),
    (3, 12, 5, 2, 0.7),
])
def test_matches_the_reference_loops(num_q, num_g, k1, k2, lambda_value):
    rng = np.random.default_rng(num_q)
    query, gallery = rng.normal(size=(num_q, 8)), rng.normal(size=(num_g, 8))
    expected = rerank_loop(query, gallery, k1, k2, lambda_value)
    out = k_reciprocal_rerank(query, gallery, k1=k1, k2=k2, lambda_value=lambda_value)
    assert out.shape == (num_q, num_g)
    np.testing.assert_allclose(out, expected, rtol=0, atol=1e-10)


def test_lambda_one_is_the_normalised_original_distance():
    generator = torch.Generator().manual_seed(0)
    query, gallery = torch.randn(4, 6, generator=generator), torch.randn(9, 6, generator=generator)
    out = k_reciprocal_rerank(query, gallery, k1=3, k2=2, lambda_value=1.0)
    feats = torch.cat([query, gallery]).double()
    dist = torch.cdist(feats, feats)**2
    dist = dist / dist.max(dim=1, keepdim=True).values
    np.testing.assert_allclose(out, dist[:4, 4:].numpy(), atol=1e-9)


def test_true_neighbours_move_closer():
    # two tight clusters: re-ranking must keep each query nearest its own cluster
    rng = np.random.default_rng(3)
    centres = np.array([[5.0, 0, 0], [-5.0, 0, 0]])
    gallery = np.concatenate([centres[0] + rng.normal(scale=0.1, size=(6, 3)),
                              centres[1] + rng.normal(scale=0.1, size=(6, 3))])
    query = centres + rng.normal(scale=0.1, size=(2, 3))
    out = k_reciprocal_rerank(query, gallery, k1=5, k2=3)
    assert out[0, :6].max() < out[0, 6:].min()
    assert out[1, 6:].max() < out[1, :6].min()


@pytest.mark.parametrize('kwargs, message', [
    (dict(k1=20), 'k1 must be an int in 1..6'),
    (dict(k2=0), 'k2 must be an int'),
    (dict(lambda_value=1.5), 'lambda_value must be in'),
    (dict(gallery_feats=np.zeros((4, 3))), 'gallery_feats 3'),
    (dict(query_feats=np.zeros(4)), 'query_feats must be a non-empty 2-D'),
])
def test_bad_input_names_the_argument(kwargs, message):
    args = dict(query_feats=np.ones((3, 2)), gallery_feats=np.ones((4, 2)), k1=2, k2=2)
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        k_reciprocal_rerank(**args)
