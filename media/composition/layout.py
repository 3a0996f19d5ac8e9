"""The grid: where each participant's tile is on the canvas, and a picture's place in it."""

from __future__ import annotations

import math
from dataclasses import dataclass

ASPECT = 16 / 9  # what tiles are shaped for (webcams); other pictures are letterboxed


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    width: int
    height: int


def even(value: float) -> int:
    return max(2, int(value) // 2 * 2)


def grid(count: int, width: int, height: int) -> list[Box]:
    """``count`` tiles on a ``width`` x ``height`` canvas: the columns and rows that give
    a 16:9 picture the largest size (1: the whole canvas, 2: side by side, 3-4: 2x2, ...);
    the last row is centred."""
    if count <= 0:
        return []
    best: tuple[float, int, int] | None = None
    for cols in range(count, 0, -1):  # on a tie, more columns (side by side)
        rows = math.ceil(count / cols)
        cell_w, cell_h = width / cols, height / rows
        area = min(cell_w, cell_h * ASPECT) * min(cell_h, cell_w / ASPECT)
        if best is None or area > best[0] + 1e-9:
            best = (area, cols, rows)
    assert best is not None
    _, cols, rows = best
    cell_w, cell_h = even(width / cols), even(height / rows)
    top = (height - rows * cell_h) // 2 // 2 * 2
    boxes = []
    for index in range(count):
        row, col = divmod(index, cols)
        in_row = min(cols, count - row * cols)
        left = (width - in_row * cell_w) // 2 // 2 * 2
        boxes.append(Box(left + col * cell_w, top + row * cell_h, cell_w, cell_h))
    return boxes


def fit(box: Box, picture_width: int, picture_height: int) -> Box:
    """The largest box of the picture's shape centred in ``box`` (even sizes/offsets)."""
    scale = min(box.width / picture_width, box.height / picture_height)
    width = min(box.width, even(picture_width * scale))
    height = min(box.height, even(picture_height * scale))
    x = box.x + (box.width - width) // 2 // 2 * 2
    y = box.y + (box.height - height) // 2 // 2 * 2
    return Box(x, y, width, height)
