"""VisibleViewsDataset on the tiny synthetic set: second views, lazy init, the tools' data check."""
import pytest
from mmengine.config import Config

from vireid_toolbox.registry import DATASETS
from vireid_toolbox.utils import register_all_modules
from vireid_toolbox.utils.data_check import check_datasets
from vireid_toolbox.utils.tool_utils import UserInputError

PIPELINE = [dict(type='LoadReIDImage'), dict(type='PackReIDInputs')]


def views_cfg(data_root, view_pipeline=PIPELINE):
    return dict(type='VisibleViewsDataset', view_pipeline=view_pipeline,
                dataset=dict(type='SYSUMM01Dataset', data_root=data_root, split='train',
                             pipeline=PIPELINE))


def test_second_views_of_the_visible_images(tiny_sysu_root):
    register_all_modules()  # the wrapped set builds its pipeline in the toolbox's scope
    lazy = DATASETS.build(dict(views_cfg(tiny_sysu_root), lazy_init=True))
    assert lazy._visible is None  # nothing read yet
    dataset = DATASETS.build(views_cfg(
        tiny_sysu_root, [dict(type='LoadReIDImage'), dict(type='ChannelExchange', gray=0),
                         dict(type='PackReIDInputs')]))
    base = dataset.dataset
    visible = [i for i in range(len(base)) if base.get_data_info(i)['modality'] == 0]
    assert 0 < len(visible) < len(base) and len(dataset) == len(base) + len(visible)
    info = dataset.get_data_info(len(base))
    assert (info['view'], info['source_index']) == (1, visible[0])
    assert info['img_path'] == base.get_data_info(visible[0])['img_path']
    first, second = base[visible[0]]['inputs'], dataset[len(base)]['inputs']
    assert (second == first[2:3]).all() and not (first == first[2:3]).all()  # R copied (BGR)


def test_the_tools_data_check_reaches_the_wrapped_set(tmp_path, tiny_sysu_root):
    register_all_modules()
    # the check walks the wrapper's view pipeline and the wrapped set's pipeline
    check_datasets(Config(dict(train_dataloader=dict(dataset=views_cfg(tiny_sysu_root)))),
                   ['train_dataloader'])
    missing = str(tmp_path / 'nowhere')
    cfg = Config(dict(train_dataloader=dict(dataset=views_cfg(missing))))
    with pytest.raises(UserInputError, match=f'train_dataloader.dataset: SYSU-MM01 data root '
                                             f'{missing} does not exist'):
        check_datasets(cfg, ['train_dataloader'])
