"""ApplyToModality: the wrapped transforms run on one modality only."""
import numpy as np
import pytest

from vireid_toolbox.registry import TRANSFORMS


def test_runs_on_its_modality_only():
    # a channel exchange that always copies the R channel (gray=0)
    transform = TRANSFORMS.build(dict(type='ApplyToModality', modality=1,
                                      transforms=[dict(type='ChannelExchange', gray=0)]))
    img = np.arange(2 * 2 * 3, dtype=np.uint8).reshape(2, 2, 3)  # BGR
    infrared = transform(dict(img=img.copy(), modality=1))['img']
    assert (infrared == img[..., 2:3]).all()
    assert np.array_equal(transform(dict(img=img.copy(), modality=0))['img'], img)


def test_bad_modality():
    with pytest.raises(ValueError, match='modality must be one of'):
        TRANSFORMS.build(dict(type='ApplyToModality', modality=2, transforms=[]))
    transform = TRANSFORMS.build(dict(type='ApplyToModality', modality=0, transforms=[]))
    with pytest.raises(KeyError, match='a.jpg has no modality'):
        transform(dict(img_path='a.jpg'))
