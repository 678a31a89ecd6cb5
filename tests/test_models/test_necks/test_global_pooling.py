"""GlobalPoolingNeck: GeM, average and max pooling of the whole map."""
import pytest
import torch

from vireid_toolbox.registry import MODELS


def test_gem_is_the_generalised_mean():
    x = torch.rand(2, 3, 4, 5) + 0.1
    out = MODELS.build(dict(type='GlobalPoolingNeck', pooling='gem', gem_p=3.0))((x, ))
    expected = torch.stack([torch.stack([(c ** 3).mean() ** (1 / 3) for c in img]) for img in x])
    torch.testing.assert_close(out, expected)
    assert torch.equal(MODELS.build(dict(type='GlobalPoolingNeck', pooling='max'))(x),
                       x.amax(dim=(2, 3)))


def test_bad_pooling_and_branches():
    with pytest.raises(ValueError, match='unknown pooling "sum"'):
        MODELS.build(dict(type='GlobalPoolingNeck', pooling='sum'))
    with pytest.raises(ValueError, match='returned 2 branches'):
        MODELS.build(dict(type='GlobalPoolingNeck'))((torch.rand(1, 2, 3, 3), ) * 2)
