"""Pure numpy helpers for drawing masks: outlines along pixel edges, hit tests. No Qt here."""

from __future__ import annotations

import numpy as np


def _runs(edges: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Runs of True along axis 1 of a 2-D bool array: (row, start, stop) with stop exclusive."""
    rows, cols = edges.shape
    width = cols + 1  # a False column after each row, so no run spans two rows
    flat = np.zeros(rows * width + 1, dtype=bool)
    flat[1:].reshape(rows, width)[:, :cols] = edges
    change = np.flatnonzero(flat[1:] != flat[:-1])
    starts, stops = change[0::2], change[1::2]
    row = starts // width
    return row, starts - row * width, stops - row * width


def outline_segments(mask: np.ndarray) -> np.ndarray:
    """Segments (x0, y0, x1, y1) tracing the mask's boundary along pixel edges.

    Pixel (row i, column j) covers [j, j+1] x [i, i+1] in image coordinates, so an outline drawn
    from these segments sits exactly on the fill's edge at any zoom (holes included).
    """
    m = np.asarray(mask, dtype=bool)
    if m.ndim != 2:
        raise ValueError(f"mask must be 2-D, got shape {m.shape}")
    rows = np.flatnonzero(m.any(axis=1))
    if len(rows) == 0:
        return np.zeros((0, 4), dtype=np.float32)
    cols = np.flatnonzero(m[rows[0] : rows[-1] + 1].any(axis=0))
    top, left = int(rows[0]), int(cols[0])
    crop = m[top : rows[-1] + 1, left : cols[-1] + 1]
    padded = np.pad(crop, 1)
    # Horizontal edges lie between row r-1 and row r (y = r), where the two rows differ.
    horizontal = padded[1:, 1:-1] != padded[:-1, 1:-1]
    hy, hx0, hx1 = _runs(horizontal)
    # Vertical edges lie between column c-1 and column c (x = c).
    vertical = (padded[1:-1, 1:] != padded[1:-1, :-1]).T
    vx, vy0, vy1 = _runs(vertical)
    segments = np.concatenate(
        [np.stack([hx0, hy, hx1, hy], axis=1), np.stack([vx, vy0, vx, vy1], axis=1)]
    ).astype(np.float32)
    segments[:, 0::2] += left
    segments[:, 1::2] += top
    return segments


def boundary_pixels(mask: np.ndarray) -> np.ndarray:
    """Mask pixels with a 4-neighbour outside the mask (the image border counts as outside)."""
    m = np.asarray(mask, dtype=bool)
    p = np.pad(m, 1)
    interior = p[:-2, 1:-1] & p[2:, 1:-1] & p[1:-1, :-2] & p[1:-1, 2:]
    return m & ~interior


def mask_contains(mask: np.ndarray | None, x: float, y: float) -> bool:
    if mask is None:
        return False
    xi, yi = int(np.floor(x)), int(np.floor(y))
    return 0 <= yi < mask.shape[0] and 0 <= xi < mask.shape[1] and bool(mask[yi, xi])


def nearest_prompt(prompts, x: float, y: float, max_distance: float):
    """The prompt nearest to (x, y) within ``max_distance`` (image pixels), or None.

    A box counts by its nearest edge, so right-clicking anywhere on its outline removes it.
    """
    best, best_d = None, max_distance
    for prompt in prompts:
        if prompt.kind == "point":
            px, py = prompt.coords
            d = float(np.hypot(px - x, py - y))
        else:
            x0, y0, x1, y1 = prompt.coords
            x0, x1 = min(x0, x1), max(x0, x1)
            y0, y1 = min(y0, y1), max(y0, y1)
            dx = max(x0 - x, 0.0, x - x1)
            dy = max(y0 - y, 0.0, y - y1)
            outside = float(np.hypot(dx, dy))
            inside = min(x - x0, x1 - x, y - y0, y1 - y) if outside == 0 else 0.0
            d = max(outside, inside)
        if d <= best_d:
            best, best_d = prompt, d
    return best
