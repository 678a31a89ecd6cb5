"""Distance distributions of positive and negative pairs within and across modalities.

``python tools/analysis_tools/modality_gap.py CONFIG CHECKPOINT --out-dir DIR [--max-images N]``

Extracts the test features of the config's test set (as ``tools/test.py``) and
splits the cosine distances ``1 - cos`` of all image pairs into intra-modality
positives / negatives and inter-modality positives / negatives. Writes
``modality_gap.png`` (the four histograms) and ``modality_gap.json`` (count,
mean, std, median per group, and the gaps: inter minus intra positive mean,
and inter negative minus inter positive mean) and prints the numbers.
"""
import argparse
import json
import os
import os.path as osp

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from mmengine.config import DictAction  # noqa: E402

from vireid_toolbox.apis import checkpoint_features_of_test_set  # noqa: E402
from vireid_toolbox.evaluation.functional import PAIR_GROUPS, pair_distance_groups  # noqa: E402
from vireid_toolbox.utils.tool_utils import UserInputError, one_line_errors  # noqa: E402

COLOURS = dict(zip(PAIR_GROUPS, ('tab:green', 'tab:red', 'tab:blue', 'tab:orange')))


def parse_args():
    parser = argparse.ArgumentParser(description='Modality gap of a model on its test set')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out-dir', required=True, help='where the PNG and JSON go')
    parser.add_argument('--max-images', type=int, help='evenly spaced subset of the test set')
    parser.add_argument('--bins', type=int, default=50, help='histogram bins')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config entries')
    return parser.parse_args()


def summary(groups: dict) -> dict:
    """Count, mean, std and median of every group, and the two gaps."""
    for name, d in groups.items():
        if not d.size:
            raise UserInputError(f'the test subset has no {name} pair: use more images '
                                 '(--max-images) or a test set with both modalities')
    stats = {name: dict(count=int(d.size), mean=float(d.mean()), std=float(d.std()),
                        median=float(np.median(d))) for name, d in groups.items()}
    mean = {name: s['mean'] for name, s in stats.items()}
    stats['gap'] = {
        'inter - intra positive mean': mean['inter-modality positive'] -
        mean['intra-modality positive'],
        'inter negative - inter positive mean': mean['inter-modality negative'] -
        mean['inter-modality positive'],
    }
    return stats


def draw(groups: dict, bins: int, title: str, path: str) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharex=True)
    edges = np.linspace(0, max(d.max() for d in groups.values()), bins + 1)
    for ax, kind in zip(axes, ('intra', 'inter')):
        for name, d in groups.items():
            if name.startswith(kind):
                ax.hist(d, bins=edges, density=True, alpha=0.55, color=COLOURS[name],
                        label=f'{name.split()[1]} (n={d.size}, mean {d.mean():.3f})')
        ax.set_title(f'{kind}-modality pairs')
        ax.set_xlabel('cosine distance 1 - cos')
        ax.legend()
    axes[0].set_ylabel('density')
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main():
    args = parse_args()
    with one_line_errors('modality_gap.py'):
        features = checkpoint_features_of_test_set(args.config, args.checkpoint,
                                                   max_images=args.max_images,
                                                   cfg_options=args.cfg_options,
                                                   device=args.device)
        groups = pair_distance_groups(*features)
        stats = summary(groups)
    os.makedirs(args.out_dir, exist_ok=True)
    png = osp.join(args.out_dir, 'modality_gap.png')
    draw(groups, args.bins, f'{osp.basename(args.checkpoint)}: {len(features.ids)} test images',
         png)
    with open(osp.join(args.out_dir, 'modality_gap.json'), 'w') as f:
        json.dump(stats, f, indent=2)
    print(json.dumps(stats, indent=2))
    print(png)


if __name__ == '__main__':
    main()
