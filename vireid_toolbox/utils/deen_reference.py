"""Key mapping from the DEEN authors' checkpoints (``ZYK100/LLCM``, ``DEEN/``) to this toolbox.

The code's ``embed_net`` keeps three whole ResNets of which it runs only parts
(the stems of ``visible_module`` / ``thermal_module``, ``layer1-4`` of
``base_resnet``, and no ``layer4`` on RegDB); the unused weights are dropped.
"""
import re
from typing import Dict, List, Tuple

import torch

_DEE_CONV = re.compile(r'^DEE\.FC(\d)(\d)\.(.+)$')
_DEE_FUSE = re.compile(r'^DEE\.FC(\d)\.(.+)$')
_MFA = re.compile(r'^MFA(\d)\.(CNL|PNL)\.(.+)$')
_STEM = re.compile(r'^(visible|thermal)_module\.\1\.((conv1|bn1)\..+)$')
_LAYER = re.compile(r'^base_resnet\.base\.layer(\d)\.(.+)$')
_UNUSED = re.compile(r'^((visible_module\.visible|thermal_module\.thermal)\.(layer[1-4]|fc)\.'
                     r'|base_resnet\.base\.(conv1|bn1|fc)\.)')
_STEM_MODALITY = {'visible': 0, 'thermal': 1}
_NON_LOCAL = {'CNL': 'channel_nl', 'PNL': 'pixel_nl'}
_HEAD = ('bottleneck.', 'classifier.')


def _map_key(key: str, last_stage: int):
    """The toolbox key of one reference key, or None for a weight the code never uses."""
    if _UNUSED.match(key):
        return None
    if key.startswith(_HEAD):
        return 'head.' + key
    match = _STEM.match(key)
    if match:
        return f'backbone.specific.{_STEM_MODALITY[match.group(1)]}.0.{match.group(2)}'
    match = _LAYER.match(key)
    if match:
        stage = int(match.group(1))
        return f'backbone.shared.{stage - 1}.{match.group(2)}' if stage <= last_stage else None
    match = _MFA.match(key)
    if match:
        return (f'backbone.mfa.{int(match.group(1)) - 1}.{_NON_LOCAL[match.group(2)]}.'
                f'{match.group(3)}')
    match = _DEE_CONV.match(key)
    if match:
        branch, conv, rest = match.groups()
        return f'backbone.dee.branches.{int(branch) - 1}.convs.{int(conv) - 1}.{rest}'
    match = _DEE_FUSE.match(key)
    if match:
        return f'backbone.dee.branches.{int(match.group(1)) - 1}.fuse.{match.group(2)}'
    raise ValueError(f'convert_deen_state_dict: reference key {key!r} is neither a weight of the '
                     'DEEN model nor one its code leaves unused; is it a DEEN embed_net '
                     'checkpoint?')


def convert_deen_state_dict(
        state_dict: Dict[str, torch.Tensor]) -> Tuple[Dict[str, torch.Tensor], List[str]]:
    """Rename a DEEN ``embed_net`` state dict (the code's ``checkpoint['net']``) to this toolbox.

    The RegDB model (no ``MFA3``) maps onto ``DEENResNet(last_stage=3)``, the
    others onto ``last_stage=4``.

    Args:
        state_dict (dict): The reference model's state dict (a ``module.``
            prefix left by ``DataParallel`` is stripped).

    Raises:
        ValueError: A key the mapping does not know (no weight is lost silently).

    Returns:
        tuple: The converted state dict of a ``VIReIDModel`` with
        ``DEENResNet`` + ``DEENHead``, and the sorted reference keys dropped
        because the code never runs them.
    """
    state_dict = {k[len('module.'):] if k.startswith('module.') else k: v
                  for k, v in state_dict.items()}
    if not any(key.startswith('DEE.') for key in state_dict):
        raise ValueError('convert_deen_state_dict: no DEE.* key in the state dict; is it a '
                         'DEEN embed_net checkpoint (checkpoint["net"])?')
    last_stage = 4 if any(key.startswith('MFA3.') for key in state_dict) else 3
    converted, dropped = {}, []
    for key, value in state_dict.items():
        new_key = _map_key(key, last_stage)
        if new_key is None:
            dropped.append(key)
        else:
            converted[new_key] = value
    return converted, sorted(dropped)
