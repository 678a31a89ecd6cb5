"""Cross-modality retrieval on image folders: ranked-list PNGs and a text ranking.

``python demo/retrieval_demo.py CONFIG CHECKPOINT --query IMG_OR_DIR --gallery DIR
[--query-modality infrared|visible] [--gallery-modality visible|infrared] [--topk 10]
[--out-dir DIR]``

Every query image (a file, or every image under a folder) is ranked against
every image under the gallery folder by the cosine distance of the model's
test features (``1 - q.g``, the distance the metrics use). No camera filter
is applied: this is a plain search, not the evaluation protocol. When paths
follow the SYSU-MM01 layout (``.../camN/XXXX/image``), identities come from
them and the PNGs frame right matches green and wrong ones red; otherwise the
frames stay blank. Output in ``--out-dir``: ``ranked_list_000.png``, ... (a few
queries per PNG) and ``ranking.txt`` (also printed).
"""
import argparse
import os
import os.path as osp
import re
import sys
from typing import List, Optional, Tuple

import torch
from mmengine.config import DictAction

from vireid_toolbox.apis import extract_features, init_reid_model
from vireid_toolbox.apis.inference import MODALITY_CODES
from vireid_toolbox.datasets.id_folders import IMAGE_EXTENSIONS
from vireid_toolbox.utils.tool_utils import UserInputError, one_line_errors, require_file
from vireid_toolbox.visualization.ranked_list import draw_ranked_list, save_image, stack_rows

SYSU_STYLE_PATH = re.compile(r'cam(\d+)[\\/](\d+)[\\/][^\\/]+$')


def parse_args():
    parser = argparse.ArgumentParser(description='Retrieve gallery images for query images')
    parser.add_argument('config', help='model config')
    parser.add_argument('checkpoint', help='trained checkpoint')
    parser.add_argument('--query', required=True, help='query image or folder of images')
    parser.add_argument('--gallery', required=True, help='folder of gallery images')
    parser.add_argument('--query-modality', choices=sorted(MODALITY_CODES), default='infrared')
    parser.add_argument('--gallery-modality', choices=sorted(MODALITY_CODES), default='visible')
    parser.add_argument('--topk', type=int, default=10, help='gallery images shown per query')
    parser.add_argument('--rows-per-image', type=int, default=8, help='queries per PNG')
    parser.add_argument('--out-dir', default='retrieval_demo', help='where the outputs go')
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='config overrides')
    return parser.parse_args()


def image_files(path: str, what: str) -> List[str]:
    """``path`` itself, or every image under the folder ``path`` (recursive, sorted)."""
    if osp.isfile(path):
        return [path]
    if not osp.isdir(path):
        raise UserInputError(f'{what} {path} does not exist')
    files = sorted(
        osp.join(folder, name) for folder, _, names in os.walk(path, followlinks=True)
        for name in names if name.lower().endswith(IMAGE_EXTENSIONS))
    if not files:
        raise UserInputError(f'{what} folder {path} holds no image '
                             f'({", ".join(IMAGE_EXTENSIONS)})')
    return files


def sysu_identity(path: str) -> Optional[Tuple[int, int]]:
    """``(person id, camera)`` of a SYSU-MM01-style path, else ``None``."""
    match = SYSU_STYLE_PATH.search(path)
    return (int(match.group(2)), int(match.group(1))) if match else None


def describe(path: str) -> str:
    identity = sysu_identity(path)
    return f'{path} (id {identity[0]}, cam {identity[1]})' if identity else path


def ranking_text(queries, gallery, order, distances) -> str:
    """One block per query: its top-k with rank, distance and (when known) match."""
    lines = []
    for q, query in enumerate(queries):
        query_id = sysu_identity(query)
        lines.append(f'query {q + 1}: {describe(query)}')
        for rank, g in enumerate(order[q], 1):
            gallery_id = sysu_identity(gallery[g])
            verdict = ''
            if query_id and gallery_id:
                verdict = 'match  ' if query_id[0] == gallery_id[0] else 'wrong  '
            lines.append(f'  #{rank:<3d} d={distances[q, g]:.4f}  {verdict}{describe(gallery[g])}')
    return '\n'.join(lines) + '\n'


def draw_figures(queries, gallery, order, distances, out_dir: str, rows_per_image: int):
    """Ranked-list PNGs, ``rows_per_image`` queries each; return their paths."""
    rows = []
    for q, query in enumerate(queries):
        query_id = sysu_identity(query)
        gallery_ids = [(sysu_identity(gallery[g]) or (None, ))[0] for g in order[q]]
        rows.append(draw_ranked_list(query, [gallery[g] for g in order[q]],
                                     [float(distances[q, g]) for g in order[q]],
                                     query_id=query_id[0] if query_id else None,
                                     gallery_ids=gallery_ids))
    paths = []
    for index, start in enumerate(range(0, len(rows), rows_per_image)):
        path = osp.join(out_dir, f'ranked_list_{index:03d}.png')
        paths.append(save_image(path, stack_rows(rows[start:start + rows_per_image])))
    return paths


def main():
    args = parse_args()
    with one_line_errors('retrieval_demo.py'):
        if args.topk < 1 or args.rows_per_image < 1:
            raise UserInputError('--topk and --rows-per-image must be at least 1')
        require_file(args.checkpoint, 'checkpoint')
        queries = image_files(args.query, '--query')
        gallery = image_files(args.gallery, '--gallery')
        model = init_reid_model(args.config, args.checkpoint, args.device, args.cfg_options)
        query_feats = extract_features(model, queries, args.query_modality, args.batch_size)
        gallery_feats = extract_features(model, gallery, args.gallery_modality, args.batch_size)

    distances = (1.0 - query_feats @ gallery_feats.T).numpy()
    topk = min(args.topk, len(gallery))
    order = torch.from_numpy(distances).argsort(dim=1, stable=True)[:, :topk].numpy()
    os.makedirs(args.out_dir, exist_ok=True)
    text = ranking_text(queries, gallery, order, distances)
    with open(osp.join(args.out_dir, 'ranking.txt'), 'w') as f:
        f.write(text)
    sys.stdout.write(text)
    for path in draw_figures(queries, gallery, order, distances, args.out_dir,
                             args.rows_per_image):
        print(f'ranked list: {path}')
    print(f'ranking: {osp.join(args.out_dir, "ranking.txt")}')


if __name__ == '__main__':
    main()
