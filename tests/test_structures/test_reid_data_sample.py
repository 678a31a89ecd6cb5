"""ReIDDataSample: the pipeline's cheap metainfo setter."""
import pytest

from vireid_toolbox.structures import ReIDDataSample


def test_fresh_metainfo_is_set_metainfo_without_the_copy():
    shape = [384, 128]  # mutable: deep-copied by set_metainfo
    metainfo = dict(img_path='cam1/0001/0001.jpg', camera=1, img_shape=shape, flip=False)
    fresh = ReIDDataSample().set_fresh_metainfo(metainfo)
    copied = ReIDDataSample(metainfo=metainfo)
    assert fresh.metainfo == copied.metainfo and fresh.metainfo_keys() == copied.metainfo_keys()
    assert fresh.keys() == copied.keys() == []
    assert fresh.img_shape is shape and copied.img_shape is not shape  # not deep-copied


def test_fresh_metainfo_refuses_a_data_field_name():
    sample = ReIDDataSample().set_gt_label(3)
    with pytest.raises(AttributeError, match=r"\['gt_label'\] are data fields"):
        sample.set_fresh_metainfo(dict(gt_label=1, camera=2))
