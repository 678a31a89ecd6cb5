"""Ranked retrieval lists drawn as PDFENet's Fig. 4.

One row per query: the query image, a gap, then its top-k gallery images in
rank order. A gallery image has a green border when its identity is the
query's, red when it is not, and no coloured border when either identity is
unknown; the rank and the distance are written under it. Rows are stacked
top to bottom. Everything is drawn with cv2 in BGR, the toolbox's image order.
"""
from dataclasses import dataclass
from typing import Optional, Sequence, Tuple, Union

import cv2
import numpy as np

Image = Union[str, np.ndarray]
MATCH_COLOR = (0, 200, 0)  # BGR green
MISMATCH_COLOR = (0, 0, 230)  # BGR red
QUERY_COLOR = (200, 120, 0)  # BGR blue: the query's own frame
BACKGROUND = (255, 255, 255)
TEXT_COLOR = (0, 0, 0)


@dataclass
class RankedListStyle:
    """Sizes of a ranked-list figure (pixels).

    Args:
        tile_size (tuple[int, int]): ``(width, height)`` every image is resized to.
        border (int): Width of the coloured frame around an image.
        gap (int): Space between images (the query is followed by 3 gaps).
        caption_height (int): Height of the two caption lines under an image.
        font_scale (float): cv2 Hershey font scale of the captions.
    """
    tile_size: Tuple[int, int] = (64, 128)
    border: int = 4
    gap: int = 4
    caption_height: int = 28
    font_scale: float = 0.35

    @property
    def cell_size(self) -> Tuple[int, int]:
        """``(width, height)`` of a framed image with its caption."""
        width, height = self.tile_size
        return width + 2 * self.border, height + 2 * self.border + self.caption_height


def _read(image: Image) -> np.ndarray:
    if isinstance(image, str):
        img = cv2.imread(image, cv2.IMREAD_COLOR)
        if img is None:
            raise FileNotFoundError(f'ranked list: cannot read image {image}')
        return img
    img = np.asarray(image)
    if img.ndim == 2:
        img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f'ranked list: expected an H x W x 3 uint8 BGR image, got '
                         f'{img.dtype} of shape {img.shape}')
    return img


def draw_cell(image: Image, lines: Sequence[str], frame_color: Optional[Tuple[int, int, int]],
              style: RankedListStyle) -> np.ndarray:
    """One framed, resized image with caption lines under it.

    Args:
        image (str | np.ndarray): Image file or BGR array.
        lines (Sequence[str]): Caption lines (at most two fit the default height).
        frame_color (tuple, optional): BGR frame colour; ``None`` leaves it blank.
        style (RankedListStyle): Sizes.

    Returns:
        np.ndarray: ``cell height x cell width x 3`` uint8 BGR.
    """
    cell_w, cell_h = style.cell_size
    cell = np.full((cell_h, cell_w, 3), BACKGROUND, dtype=np.uint8)
    framed_h = style.tile_size[1] + 2 * style.border
    if frame_color is not None:
        cell[:framed_h] = frame_color
    b = style.border
    cell[b:b + style.tile_size[1], b:b + style.tile_size[0]] = cv2.resize(
        _read(image), style.tile_size, interpolation=cv2.INTER_AREA)
    line_h = style.caption_height // max(len(lines), 1)
    for index, line in enumerate(lines):
        baseline = framed_h + (index + 1) * line_h - 4
        cv2.putText(cell, line, (2, baseline), cv2.FONT_HERSHEY_SIMPLEX, style.font_scale,
                    TEXT_COLOR, 1, cv2.LINE_AA)
    return cell


def match_color(query_id: Optional[int],
                gallery_id: Optional[int]) -> Optional[Tuple[int, int, int]]:
    """Green for the same identity, red for another, ``None`` when one is unknown."""
    if query_id is None or gallery_id is None:
        return None
    return MATCH_COLOR if query_id == gallery_id else MISMATCH_COLOR


def draw_ranked_list(query: Image,
                     gallery: Sequence[Image],
                     distances: Sequence[float],
                     query_id: Optional[int] = None,
                     gallery_ids: Optional[Sequence[Optional[int]]] = None,
                     style: Optional[RankedListStyle] = None) -> np.ndarray:
    """One row: the query, then its ranked gallery images with rank and distance.

    Args:
        query (str | np.ndarray): The query image (file or BGR array).
        gallery (Sequence): The top-k gallery images, best first.
        distances (Sequence[float]): Their distances to the query.
        query_id (int, optional): The query's identity, when known.
        gallery_ids (Sequence[int | None], optional): The gallery identities.
        style (RankedListStyle, optional): Sizes; defaults to 64 x 128 tiles.

    Returns:
        np.ndarray: The row, ``cell height x W x 3`` uint8 BGR.
    """
    style = style or RankedListStyle()
    if len(gallery) != len(distances):
        raise ValueError(f'ranked list: {len(gallery)} gallery images but '
                         f'{len(distances)} distances')
    gallery_ids = list(gallery_ids) if gallery_ids is not None else [None] * len(gallery)
    if len(gallery_ids) != len(gallery):
        raise ValueError(f'ranked list: {len(gallery)} gallery images but '
                         f'{len(gallery_ids)} gallery ids')
    query_caption = ['query', f'id {query_id}' if query_id is not None else '']
    cells = [draw_cell(query, query_caption, QUERY_COLOR, style)]
    for rank, (image, distance, gallery_id) in enumerate(zip(gallery, distances, gallery_ids), 1):
        cells.append(draw_cell(image, [f'#{rank}', f'd={distance:.3f}'],
                               match_color(query_id, gallery_id), style))
    cell_w, cell_h = style.cell_size
    width = len(cells) * cell_w + (len(cells) + 1) * style.gap  # 3 gaps after the query
    row = np.full((cell_h, width, 3), BACKGROUND, dtype=np.uint8)
    x = 0
    for index, cell in enumerate(cells):
        row[:, x:x + cell_w] = cell
        x += cell_w + (3 * style.gap if index == 0 else style.gap)
    return row


def stack_rows(rows: Sequence[np.ndarray], gap: int = 8) -> np.ndarray:
    """Stack ranked-list rows top to bottom, padding shorter rows on the right.

    Args:
        rows (Sequence[np.ndarray]): Rows from :func:`draw_ranked_list`.
        gap (int): White space between rows.

    Returns:
        np.ndarray: The figure, uint8 BGR.
    """
    if not rows:
        raise ValueError('ranked list: no rows to stack')
    width = max(row.shape[1] for row in rows)
    height = sum(row.shape[0] for row in rows) + gap * (len(rows) - 1)
    figure = np.full((height, width, 3), BACKGROUND, dtype=np.uint8)
    y = 0
    for row in rows:
        figure[y:y + row.shape[0], :row.shape[1]] = row
        y += row.shape[0] + gap
    return figure


def save_image(path: str, image: np.ndarray) -> str:
    """Write a BGR image with cv2 (PNG by the file name); raise if it could not."""
    if not cv2.imwrite(path, image):
        raise OSError(f'could not write {path}')
    return path
