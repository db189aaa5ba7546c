"""One polygon per object: parts and holes joined by zero-width bridges, and split again."""

import cv2
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from videoseg_desktop.export.polygon_join import (
    join_rings,
    joined_polygon_to_mask,
    mask_rings,
    mask_to_joined_polygon,
    split_joined,
)

H, W = 60, 80


def _parts_and_holes() -> np.ndarray:
    """A ring with an island in its hole, a second part, a one-pixel dot and a one-pixel line."""
    m = np.zeros((H, W), bool)
    m[5:30, 5:30] = True
    m[10:25, 10:25] = False  # a hole
    m[15:20, 15:20] = True  # an island inside the hole
    m[35:50, 40:70] = True  # a second part
    m[40:45, 50:60] = False  # with its own hole
    m[3, 60] = True  # a dot
    m[55, 5:20] = True  # a horizontal one-pixel line
    return m


def _fill_like_ultralytics(polygon, h=H, w=W) -> np.ndarray:
    """What Ultralytics' polygon2mask draws: cv2.fillPoly on int32 (truncated) vertices."""
    canvas = np.zeros((h, w), np.uint8)
    pts = np.ascontiguousarray(np.asarray(polygon, float).reshape(-1, 2).astype(np.int32))
    cv2.fillPoly(canvas, [pts], 1)
    return canvas.astype(bool)


def test_a_single_part_without_holes_is_its_outline_unchanged():
    m = np.zeros((H, W), bool)
    m[10:30, 20:50] = True
    polygon, holes = mask_to_joined_polygon(m)
    (contour,), _ = cv2.findContours(m.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    assert not holes and polygon == [float(v) for v in contour.reshape(-1)]
    assert mask_to_joined_polygon(np.zeros((H, W), bool)) == ([], False)


def test_all_parts_and_holes_become_one_path_whose_even_odd_fill_is_the_mask():
    m = _parts_and_holes()
    rings, holes = mask_rings(m)
    assert holes and len(rings) == 7  # 2 outer + 2 holes + island + dot + line
    polygon, _ = mask_to_joined_polygon(m)
    points = np.asarray(polygon).reshape(-1, 2)
    assert len(points) == sum(len(r) + 1 for r in rings) + len(rings) - 2  # each ring closed once
    drawn = _fill_like_ultralytics(polygon)
    assert not (m & ~drawn).any()  # no pixel of the mask is lost, holes and island included
    extra = drawn & ~m
    assert 0 < extra.sum() < 100  # only the one-pixel bridge lines across the background


def test_bridges_are_the_shortest_links_between_rings():
    """Five small squares in a row: four bridges, each spanning one gap (a spanning tree)."""
    m = np.zeros((20, 100), bool)
    for x in range(5, 100, 20):
        m[5:10, x : x + 5] = True  # gaps of 16 pixels between squares
    extra = _fill_like_ultralytics(mask_to_joined_polygon(m)[0], 20, 100) & ~m
    assert extra.sum() == 4 * 15  # four straight bridges of 15 background pixels each


def test_reading_back_drops_the_bridges_and_keeps_holes_dots_and_lines():
    m = _parts_and_holes()
    polygon, _ = mask_to_joined_polygon(m)
    assert (joined_polygon_to_mask(polygon, H, W) == m).all()


def test_split_finds_rings_bridges_and_thin_tails():
    # a square with a one-pixel tail to the right, bridged to a second square
    square = [(0, 0), (0, 64), (64, 64), (64, 32), (128, 32), (64, 32), (64, 0)]
    other = [(256, 0), (256, 64), (320, 64), (320, 0)]
    path = square[:5] + other + [other[0]] + square[4:]
    rings, strands = split_joined(np.array(path))
    assert sorted(len(r) for r in rings) == [4, 5]  # the square (tail cut off) and the other
    assert [sorted(map(tuple, s.tolist())) for s in strands] == [[(64, 32), (128, 32)]]


def test_walks_never_start_on_the_tip_of_a_thin_tail():
    """findContours starts this part at its one-pixel tip; read back, the tip must still be there."""
    m = np.zeros((H, W), bool)
    m[10:20, 10:20] = True
    m[9, 9] = True  # touches the block at a corner only: a tail one pixel long
    m[30:40, 30:40] = True
    m[29, 29] = True
    for part in (m[:25], m):  # alone, and joined to another part entered at its tip
        polygon, _ = mask_to_joined_polygon(part)
        assert (joined_polygon_to_mask(polygon, *part.shape) == part).all()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, W - 1),
            st.integers(0, H - 1),
            st.integers(1, 14),
            st.integers(1, 14),
            st.booleans(),
        ),
        min_size=1,
        max_size=7,
    )
)
def test_any_mask_round_trips_and_ultralytics_loses_no_pixel(shapes):
    m = np.zeros((H, W), np.uint8)
    for n, (x, y, rx, ry, add) in enumerate(shapes):
        cv2.ellipse(m, (x, y), (rx, ry), 0, 0, 360, 1 if add or n == 0 else 0, -1)
    m = m.astype(bool)
    polygon, _ = mask_to_joined_polygon(m)
    if not m.any():
        assert polygon == []
        return
    assert not (m & ~_fill_like_ultralytics(polygon)).any()
    back = joined_polygon_to_mask(polygon, H, W)
    # exact but for one-pixel necks inside a part, which look like bridges and are dropped
    assert (back & ~m).sum() == 0 and (m & ~back).sum() <= 4


def test_join_rings_of_nothing_and_of_one():
    assert join_rings([]) == []
    ring = np.array([[1.0, 1.0], [5.0, 1.0], [5.0, 5.0]])
    assert join_rings([ring]) == [1.0, 1.0, 5.0, 1.0, 5.0, 5.0]
