import numpy as np
import pytest

from videoseg_desktop.core.records import PromptRecord
from videoseg_desktop.ui.canvas.mask_geometry import (
    boundary_pixels,
    mask_contains,
    nearest_prompt,
    outline_segments,
)


def _edges(segments):
    """Unit edges covered by the segments, as a set (order and merging do not matter)."""
    edges = set()
    for x0, y0, x1, y1 in segments.astype(int).tolist():
        if y0 == y1:
            edges |= {("h", x, y0) for x in range(x0, x1)}
        else:
            edges |= {("v", x0, y) for y in range(y0, y1)}
    return edges


def _brute_force_edges(mask):
    padded = np.pad(mask, 1)
    edges = set()
    h, w = mask.shape
    for y in range(h + 1):
        for x in range(w):
            if padded[y, x + 1] != padded[y + 1, x + 1]:
                edges.add(("h", x, y))
    for y in range(h):
        for x in range(w + 1):
            if padded[y + 1, x] != padded[y + 1, x + 1]:
                edges.add(("v", x, y))
    return edges


@pytest.mark.parametrize("seed", range(5))
def test_outline_follows_every_pixel_edge_holes_included(seed):
    rng = np.random.default_rng(seed)
    mask = rng.random((23, 31)) > 0.55
    mask[:3] = False
    assert _edges(outline_segments(mask)) == _brute_force_edges(mask)


def test_single_pixel_outline_and_empty_mask():
    mask = np.zeros((4, 5), bool)
    assert outline_segments(mask).shape == (0, 4)
    mask[2, 3] = True
    assert _edges(outline_segments(mask)) == {("h", 3, 2), ("h", 3, 3), ("v", 3, 2), ("v", 4, 2)}


def test_mask_contains_uses_pixel_squares():
    mask = np.zeros((4, 5), bool)
    mask[2, 3] = True
    assert mask_contains(mask, 3.0, 2.0) and mask_contains(mask, 3.99, 2.99)
    assert not mask_contains(mask, 4.0, 2.5) and not mask_contains(mask, -1, 2)


def test_nearest_prompt_prefers_the_closest_within_radius():
    point = PromptRecord(1, 1, 0, "point", (10.0, 10.0), True, 0)
    box = PromptRecord(2, 1, 0, "box", (20.0, 20.0, 60.0, 60.0), True, 1)
    assert nearest_prompt([point, box], 12, 12, 5) is point
    assert nearest_prompt([point, box], 21, 40, 5) is box  # near the box's left edge
    assert nearest_prompt([point, box], 40, 40, 5) is None  # deep inside: not "near" the box
    assert nearest_prompt([point, box], 100, 100, 5) is None


def test_segments_become_a_painter_path_exactly(qapp):
    from videoseg_desktop.ui.canvas.qt_images import segments_to_path

    segments = np.array([[1, 2, 3, 2], [5.5, 6, 5.5, 9]], dtype=np.float32)
    path = segments_to_path(segments, (10.0, 20.0))
    elements = [(path.elementAt(i).type.value, path.elementAt(i).x, path.elementAt(i).y)
                for i in range(path.elementCount())]  # fmt: skip
    assert elements == [(0, 11, 22), (1, 13, 22), (0, 15.5, 26), (1, 15.5, 29)]
    assert segments_to_path(np.zeros((0, 4))).isEmpty()


def test_boundary_pixels_are_the_mask_pixels_next_to_the_outside():
    mask = np.zeros((6, 7), bool)
    mask[1:5, 1:6] = True
    mask[3, 3] = False  # a hole: its neighbours are boundary too
    edge = boundary_pixels(mask)
    assert not edge[2, 2] and edge[2, 3] and edge[1, 1] and edge[4, 5]
    assert not (edge & ~mask).any()
    assert boundary_pixels(np.ones((3, 3), bool)).sum() == 8  # the image border is outside


def test_very_complex_masks_get_a_raster_outline(qapp):
    from PySide6.QtGui import QColor

    from videoseg_desktop.ui.canvas.overlay_items import MAX_VECTOR_OUTLINE, MaskOverlayItem

    noisy = np.random.default_rng(0).random((400, 500)) > 0.5
    assert boundary_pixels(noisy).sum() > MAX_VECTOR_OUTLINE
    item = MaskOverlayItem(1)
    item.set_mask(noisy, QColor("red"))
    assert item._edge is not None and item._outline.isEmpty()
    smooth = np.zeros((400, 500), bool)
    smooth[100:300, 50:450] = True
    item.set_mask(smooth, QColor("red"))
    assert item._edge is None and item._outline.elementCount() == 8
