"""2-D t-SNE of a model's test features, coloured by identity and marked by modality.

``python tools/analysis_tools/tsne.py CONFIG CHECKPOINT --out-dir DIR [--max-ids K]``

Extracts the test features of the config's test set (as ``tools/test.py``),
keeps the images of the first ``--max-ids`` identities and embeds them with
scikit-learn's ``TSNE`` (an optional dependency: ``pip install scikit-learn``).
Writes ``tsne.png``: one colour per identity, circles for visible and
triangles for infrared images.
"""
import argparse
import os
import os.path as osp
import sys

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from mmengine.config import DictAction  # noqa: E402

from vireid_toolbox.apis import checkpoint_features_of_test_set  # noqa: E402
from vireid_toolbox.structures import INFRARED, VISIBLE  # noqa: E402
from vireid_toolbox.utils.tool_utils import UserInputError, one_line_errors  # noqa: E402

MARKERS = {VISIBLE: ('o', 'visible'), INFRARED: ('^', 'infrared')}


def parse_args():
    parser = argparse.ArgumentParser(description='t-SNE of test features')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out-dir', required=True, help='where tsne.png goes')
    parser.add_argument('--max-ids', type=int, default=10, help='identities drawn (default 10)')
    parser.add_argument('--perplexity', type=float, default=30.0,
                        help='t-SNE perplexity (capped below the number of images)')
    parser.add_argument('--seed', type=int, default=0, help='t-SNE random state')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config entries')
    return parser.parse_args()


def embed(feats: np.ndarray, perplexity: float, seed: int) -> np.ndarray:
    """2-D t-SNE coordinates (perplexity capped below the number of points, as TSNE requires)."""
    from sklearn.manifold import TSNE
    perplexity = min(perplexity, (len(feats) - 1) / 3)
    return TSNE(n_components=2, perplexity=perplexity, init='pca',
                random_state=seed).fit_transform(feats)


def draw(points, ids, modalities, title: str, path: str) -> None:
    fig, ax = plt.subplots(figsize=(7, 6))
    unique_ids = np.unique(ids)
    colours = plt.get_cmap('tab10' if len(unique_ids) <= 10 else 'tab20')
    for index, pid in enumerate(unique_ids):
        for code, (marker, _) in MARKERS.items():
            keep = (ids == pid) & (modalities == code)
            ax.scatter(points[keep, 0], points[keep, 1], color=colours(index % colours.N),
                       marker=marker, s=30, edgecolors='k', linewidths=0.3)
    for code, (marker, name) in MARKERS.items():
        ax.scatter([], [], color='grey', marker=marker, label=name)
    ax.legend(title='modality (colour: identity)')
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main():
    args = parse_args()
    try:
        import sklearn  # noqa: F401
    except ImportError:
        print('tsne.py: error: scikit-learn is not installed (an optional dependency of this '
              'tool): pip install scikit-learn', file=sys.stderr)
        sys.exit(2)
    with one_line_errors('tsne.py'):
        features = checkpoint_features_of_test_set(args.config, args.checkpoint,
                                                   max_ids=args.max_ids,
                                                   cfg_options=args.cfg_options,
                                                   device=args.device)
        if len(features.ids) < 4:
            raise UserInputError(f'only {len(features.ids)} test images: t-SNE needs at least 4')
    ids, modalities = features.ids.numpy(), features.modalities.numpy()
    points = embed(features.feats.numpy(), args.perplexity, args.seed)
    os.makedirs(args.out_dir, exist_ok=True)
    png = osp.join(args.out_dir, 'tsne.png')
    draw(points, ids, modalities, f'{osp.basename(args.checkpoint)}: {len(ids)} images of '
         f'{len(np.unique(ids))} identities', png)
    print(png)


if __name__ == '__main__':
    main()
