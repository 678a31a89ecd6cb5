"""Build the data sets a run reads before the Runner does, so that a data error is one line.

The Runner builds its data loaders only when training or testing starts,
after logging the whole config; a missing data root, an image a split lists
but the disk lacks, or a damaged pose cache then ends a long log in a stack
trace. :func:`check_datasets` builds each data set a tool will read (cheap:
file lists only) and lets its transforms check the data list (e.g. that the
pose cache has a row for every image), raising
:class:`~vireid_toolbox.utils.tool_utils.UserInputError` with the config key
and the data set's message.
"""
import copy
from typing import Sequence

from mmengine.config import Config
from mmengine.registry import DefaultScope

from vireid_toolbox.registry import DATASETS
from .tool_utils import UserInputError

DATA_ERRORS = (FileNotFoundError, NotADirectoryError, ValueError)
"""What the data sets and the pose cache raise for data that is missing or damaged."""


def check_datasets(cfg: Config, loaders: Sequence[str]) -> None:
    """Build ``cfg[loader].dataset`` for every loader and check its data list.

    Raises:
        UserInputError: ``<loader>.dataset: <what is wrong, naming the file>``.
    """
    for loader in loaders:
        dataset_cfg = (cfg.get(loader) or {}).get('dataset')
        if not isinstance(dataset_cfg, dict):
            continue
        try:
            with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'vireid_toolbox')):
                dataset = DATASETS.build(copy.deepcopy(dataset_cfg))
            for owner, pipeline in _pipelines(dataset):
                for transform in getattr(pipeline, 'transforms', []):
                    check = getattr(transform, 'check_data_list', None)
                    if callable(check):
                        check(owner)
        except DATA_ERRORS as error:
            raise UserInputError(f'{loader}.dataset: {error}') from None


def _pipelines(dataset) -> list:
    """``(data set, pipeline)`` pairs to check: a data set's ``pipeline``, and for a wrapper
    (``VisibleViewsDataset``) its second-view ``view_pipeline`` and its wrapped set's."""
    pairs = _pipelines(dataset.dataset) if hasattr(dataset, 'dataset') else []
    for name in ('pipeline', 'view_pipeline'):
        if hasattr(dataset, name):
            pairs.append((dataset, getattr(dataset, name)))
    return pairs
