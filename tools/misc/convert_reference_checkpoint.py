"""Convert a checkpoint of a method's public reference code into a toolbox checkpoint.

``python tools/misc/convert_reference_checkpoint.py METHOD SRC DST`` reads ``SRC`` (a state
dict, or a dict holding it under ``net``/``state_dict``/``model``, as the authors release
them), renames every key to the toolbox model of the method's configs and writes ``DST``
(``{'state_dict': ...}``), which ``tools/test.py`` loads strictly.

Each method is one entry of :data:`MAPPINGS`: rename rules (regex → replacement, the first
match wins), the reference keys that its forward never uses (dropped, e.g. the unused layers of
the AGW code's per-modality ResNets) and an optional fix-up of the renamed dict. A reference
key matched by nothing is an error: a mapping never silently loses weights.
"""
import argparse
import os
import os.path as osp
import re
import sys
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable, Dict, Optional, Sequence, Tuple, Union

import torch

StateDict = Dict[str, torch.Tensor]
Replacement = Union[str, Callable[[re.Match], str]]


class ConversionError(Exception):
    """A checkpoint the mapping cannot convert."""


@dataclass(frozen=True)
class KeyMapping:
    """How one reference code names the weights of the toolbox model.

    ``rules``: ``(regex, replacement)``; a ``None`` replacement consumes the key
    for ``fix``. ``reference``: the repository and file of the reference model.
    ``toolbox_model``: the config the converted weights fit. ``unused``: regexes
    of reference keys its forward never uses. ``fix(reference, converted)``:
    edits the renamed dict in place.
    """

    rules: Sequence[Tuple[str, Optional[Replacement]]]
    reference: str
    toolbox_model: str
    unused: Sequence[str] = ()
    fix: Optional[Callable[[StateDict, StateDict], None]] = None


def _shared_stage(first: int) -> Callable[[re.Match], str]:
    """``layer<k>.`` → ``backbone.shared.<k - first>.`` (shared stages start at ``first``)."""
    return lambda match: f'backbone.shared.{int(match[1]) - first}.'


def _fold_non_local_bias(reference: StateDict, converted: StateDict) -> None:
    """Fold the bias of the AGW code's non-local output conv into its BatchNorm.

    The code's ``W = Sequential(Conv2d(bias=True), BatchNorm2d)``; mmcv's
    ``NonLocal2d`` has no bias before the BatchNorm. ``BN(conv(y) + b)`` with
    running mean ``m`` equals ``BN(conv(y))`` with running mean ``m - b`` (in
    training the batch mean absorbs ``b`` and the running means keep differing by
    exactly ``b``), so the bias becomes part of the running mean.
    """
    for key, bias in reference.items():
        match = re.fullmatch(r'NL_([1-4])\.(\d+)\.W\.0\.bias', key)
        if match:
            mean_key = f'backbone.non_local.stage{match[1]}.{match[2]}.conv_out.bn.running_mean'
            converted[mean_key] = converted[mean_key] - bias


_AGW_NON_LOCAL = [
    (r'^NL_([1-4])\.(\d+)\.g\.0\.', r'backbone.non_local.stage\1.\2.g.conv.'),
    (r'^NL_([1-4])\.(\d+)\.(theta|phi)\.', r'backbone.non_local.stage\1.\2.\3.conv.'),
    (r'^NL_([1-4])\.(\d+)\.W\.0\.weight$', r'backbone.non_local.stage\1.\2.conv_out.conv.weight'),
    (r'^NL_([1-4])\.(\d+)\.W\.0\.bias$', None),  # folded by _fold_non_local_bias
    (r'^NL_([1-4])\.(\d+)\.W\.1\.', r'backbone.non_local.stage\1.\2.conv_out.bn.'),
]

AGW = KeyMapping(
    rules=[
        (r'^visible_module\.visible\.(conv1|bn1)\.', r'backbone.specific.0.0.\1.'),
        (r'^thermal_module\.thermal\.(conv1|bn1)\.', r'backbone.specific.1.0.\1.'),
        (r'^base_resnet\.base\.layer([1-4])\.', _shared_stage(1)),
        *_AGW_NON_LOCAL,
        (r'^bottleneck\.', 'head.bnneck.'),
        (r'^classifier\.', 'head.classifier.'),
    ],
    # each stream keeps a whole ResNet of which the code runs only the stem, the shared part
    # a whole ResNet of which it runs only layer1-4
    unused=[r'^(visible_module\.visible|thermal_module\.thermal)\.layer[1-4]\.',
            r'^base_resnet\.base\.(conv1|bn1)\.'],
    fix=_fold_non_local_bias,
    reference='mangye16/Cross-Modal-Re-ID-baseline, embed_net of model.py and '
    'ICCV21_CAJ/model.py (no_local=on, gm_pool=on)',
    toolbox_model='configs/_base_/models/agw_r50.py')

HCTRI = KeyMapping(
    rules=[
        (r'^visible_module\.visible\.(conv1|bn1)\.', r'backbone.specific.0.0.\1.'),
        (r'^visible_module\.visible\.layer1\.', 'backbone.specific.0.1.'),
        (r'^thermal_module\.thermal\.(conv1|bn1)\.', r'backbone.specific.1.0.\1.'),
        (r'^thermal_module\.thermal\.layer1\.', 'backbone.specific.1.1.'),
        (r'^base_resnet\.base\.layer([2-4])\.', _shared_stage(2)),
        (r'^local_conv_list\.', 'neck.reductions.'),
        (r'^fc_list\.', 'head.classifiers.'),
    ],
    reference='hijune6/Hetero-center-triplet-loss-for-VT-Re-ID, embed_net of model_mine.py '
    '(share_net=2, pcb=on, 6 strips)',
    toolbox_model='configs/_base_/models/hctri_r50.py')

def _drop_layer4_without_mfa3(reference: StateDict, converted: StateDict) -> None:
    """Drop layer4 of a DEEN RegDB model: its code runs no ``MFA3`` and no layer4 there."""
    if not any(key.startswith('MFA3.') for key in reference):
        for key in [key for key in converted if key.startswith('backbone.shared.3.')]:
            del converted[key]


def _indexed(template: str, *groups: int) -> Callable[[re.Match], str]:
    """A replacement formatting the 1-based numbers of ``groups`` 0-based into ``template``."""
    return lambda match: template.format(*(int(match[g]) - 1 for g in groups))


DEEN = KeyMapping(
    rules=[
        (r'^visible_module\.visible\.(conv1|bn1)\.', r'backbone.specific.0.0.\1.'),
        (r'^thermal_module\.thermal\.(conv1|bn1)\.', r'backbone.specific.1.0.\1.'),
        (r'^base_resnet\.base\.layer([1-4])\.', _shared_stage(1)),
        (r'^MFA([1-3])\.CNL\.', _indexed('backbone.mfa.{}.channel_nl.', 1)),
        (r'^MFA([1-3])\.PNL\.', _indexed('backbone.mfa.{}.pixel_nl.', 1)),
        (r'^DEE\.FC([12])([1-3])\.', _indexed('backbone.dee.branches.{}.convs.{}.', 1, 2)),
        (r'^DEE\.FC([12])\.', _indexed('backbone.dee.branches.{}.fuse.', 1)),
        (r'^bottleneck\.', 'head.bottleneck.'),
        (r'^classifier\.', 'head.classifier.'),
    ],
    # three whole ResNets of which the code runs the streams' stems and the base's layer1-4
    unused=[r'^(visible_module\.visible|thermal_module\.thermal)\.(layer[1-4]|fc)\.',
            r'^base_resnet\.base\.(conv1|bn1|fc)\.'],
    fix=_drop_layer4_without_mfa3,
    reference='ZYK100/LLCM, embed_net of DEEN/model.py (RegDB: no MFA3, no layer4)',
    toolbox_model='configs/deen/deen_r50_1xb48-151e_{llcm,sysu-mm01,regdb}-384x144.py')

MAPPINGS: Dict[str, KeyMapping] = {'agw': AGW, 'caj': AGW, 'deen': DEEN, 'hctri': HCTRI}
"""Method name → key mapping; a new method adds one entry."""


def reference_state_dict(checkpoint: dict, source: str) -> StateDict:
    """The state dict of a reference checkpoint (its ``net``/``state_dict``/``model`` or itself),
    without the ``module.`` prefix of ``DataParallel``."""
    if not isinstance(checkpoint, dict):
        raise ConversionError(f'{source} holds a {type(checkpoint).__name__}, not a state dict')
    for key in ('net', 'state_dict', 'model'):
        if isinstance(checkpoint.get(key), dict):
            checkpoint = checkpoint[key]
            break
    if not checkpoint or not all(isinstance(v, torch.Tensor) for v in checkpoint.values()):
        raise ConversionError(f'{source} holds no state dict (expected tensors, or a dict with '
                              'one under "net", "state_dict" or "model")')
    # the codes' training scripts can wrap the model in DataParallel, which prefixes every key
    return OrderedDict((key[len('module.'):] if key.startswith('module.') else key, value)
                       for key, value in checkpoint.items())


def convert_state_dict(reference: StateDict, method: str) -> StateDict:
    """Rename the keys of a reference state dict to the toolbox model of ``method``.

    Raises:
        ConversionError: Unknown method, or a key no rule of the method matches.
    """
    if method not in MAPPINGS:
        raise ConversionError(f'unknown method {method!r}; expected one of {sorted(MAPPINGS)}')
    mapping = MAPPINGS[method]
    converted: StateDict = OrderedDict()
    for key, value in reference.items():
        if any(re.search(pattern, key) for pattern in mapping.unused):
            continue
        for pattern, replacement in mapping.rules:
            if re.search(pattern, key):
                if replacement is not None:
                    converted[re.sub(pattern, replacement, key, count=1)] = value.clone()
                break
        else:
            raise ConversionError(f'{method}: reference key {key!r} matches no rule of the '
                                  f'{method} mapping (is it a checkpoint of {mapping.reference}?)')
    if mapping.fix is not None:
        mapping.fix(reference, converted)
    return converted


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('method', help=f'one of {sorted(MAPPINGS)}')
    parser.add_argument('src', help='checkpoint written by the reference code')
    parser.add_argument('dst', help='toolbox checkpoint to write')
    return parser.parse_args()


def main():
    args = parse_args()
    from vireid_toolbox.utils import allow_mmengine_checkpoint_types
    try:
        if not osp.isfile(args.src):
            raise ConversionError(f'checkpoint {args.src} does not exist')
        allow_mmengine_checkpoint_types()  # numpy scores saved next to the weights
        try:
            checkpoint = torch.load(args.src, map_location='cpu', weights_only=True)
        except Exception as error:  # torch's restricted unpickler refuses the file
            raise ConversionError(f'{args.src} cannot be read as a checkpoint: '
                                  f'{str(error).splitlines()[0]}') from None
        state_dict = convert_state_dict(reference_state_dict(checkpoint, args.src), args.method)
    except ConversionError as error:
        print(f'convert_reference_checkpoint.py: error: {error}', file=sys.stderr)
        sys.exit(2)
    os.makedirs(osp.dirname(osp.abspath(args.dst)), exist_ok=True)
    torch.save({'meta': {'converted_from': osp.basename(args.src), 'method': args.method},
                'state_dict': state_dict}, args.dst)
    print(f'{args.method}: {len(state_dict)} tensors written to {args.dst} (for the model of '
          f'{MAPPINGS[args.method].toolbox_model})')


if __name__ == '__main__':
    main()
