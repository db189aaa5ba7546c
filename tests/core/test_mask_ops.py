"""Mask editing operations: exact rasters for strokes and polygons, clean-up semantics."""

from __future__ import annotations

import numpy as np
import pytest

from videoseg_desktop.core import mask_ops


def centres(shape):
    """Pixel centre coordinates (x, y) of every pixel, as the canvas defines them."""
    ys, xs = np.mgrid[0 : shape[0], 0 : shape[1]]
    return xs + 0.5, ys + 0.5


def capsule_reference(shape, a, b, r):
    """A capsule built the other way round: a band between the ends plus a disc at each end."""
    x, y = centres(shape)
    (ax, ay), (bx, by) = a, b
    length = np.hypot(bx - ax, by - ay)
    ux, uy = (bx - ax) / length, (by - ay) / length
    along = (x - ax) * ux + (y - ay) * uy
    across = -(x - ax) * uy + (y - ay) * ux
    band = (along >= 0) & (along <= length) & (np.abs(across) <= r)
    disc_a = (x - ax) ** 2 + (y - ay) ** 2 <= r * r
    disc_b = (x - bx) ** 2 + (y - by) ** 2 <= r * r
    return band | disc_a | disc_b


def test_horizontal_stroke_covers_exactly_the_capsule():
    stroke = mask_ops.stroke_mask((40, 70), [(10, 10), (50, 10)], 5)
    assert np.array_equal(stroke, capsule_reference((40, 70), (10, 10), (50, 10), 5))
    # Spot checks by hand: rows 5..14 are within 4.5 of y = 10; the caps round the ends.
    assert stroke[5:15, 10:50].all() and not stroke[4, 10:50].any() and not stroke[15].any()
    assert stroke[10, 5] and not stroke[10, 4] and stroke[10, 54] and not stroke[10, 55]
    assert not stroke[5, 5]  # the cap's corner is cut off


@pytest.mark.parametrize(
    ("a", "b", "r"),
    [
        ((3.2, 7.9), (41.7, 30.1), 4.0),
        ((60.0, 5.5), (12.25, 33.0), 7.5),
        ((20, 20), (20.5, 35), 2.2),
    ],
)
def test_diagonal_strokes_match_the_reference(a, b, r):
    shape = (45, 70)
    got = mask_ops.stroke_mask(shape, [a, b], r)
    assert np.array_equal(got, capsule_reference(shape, a, b, r))


def test_single_point_is_a_disc_and_thin_brushes_still_mark_pixels():
    disc = mask_ops.stroke_mask((20, 20), [(10, 10)], 3)
    x, y = centres((20, 20))
    assert np.array_equal(disc, (x - 10) ** 2 + (y - 10) ** 2 <= 9)
    # A brush of 1 px on a pixel centre marks exactly that pixel ...
    one = mask_ops.stroke_mask((5, 5), [(2.5, 2.5)], 0.5)
    assert np.argwhere(one).tolist() == [[2, 2]]
    # ... and a hairline through a row marks every pixel it crosses, with no gaps.
    line = mask_ops.stroke_mask((5, 20), [(0.5, 2.5), (19.5, 2.5)], 0.1)
    assert line[2].all() and line.sum() == 20


def test_polyline_has_no_gaps_between_far_apart_events():
    pts = [(5, 5), (80, 5), (80, 60), (5, 60)]
    got = mask_ops.stroke_mask((70, 90), pts, 3)
    expected = np.zeros((70, 90), dtype=bool)
    for a, b in zip(pts[:-1], pts[1:], strict=True):
        expected |= capsule_reference((70, 90), a, b, 3)
    assert np.array_equal(got, expected)


def test_paint_capsule_returns_the_dirty_rect_and_only_touches_it():
    mask = np.zeros((100, 100), dtype=bool)
    rect = mask_ops.paint_capsule(mask, (20, 30), (40, 35), 4)
    x0, y0, x1, y1 = rect
    outside = mask.copy()
    outside[y0:y1, x0:x1] = False
    assert not outside.any() and mask.any()
    assert (x0, y0) == (15, 25) and (x1, y1) == (45, 40)
    # Erasing inside it clears exactly the eraser's capsule.
    before = mask.copy()
    mask_ops.paint_capsule(mask, (30, 30), (30, 30), 2, value=False)
    eraser = mask_ops.stroke_mask((100, 100), [(30, 30)], 2)
    assert np.array_equal(mask, before & ~eraser)


def test_capsule_outside_the_image_changes_nothing():
    mask = np.zeros((10, 10), dtype=bool)
    assert mask_ops.paint_capsule(mask, (-50, -50), (-40, -45), 3) is None
    assert not mask.any()
    # Partly outside: clipped, no error.
    rect = mask_ops.paint_capsule(mask, (-5, 5), (3, 5), 2)
    assert rect[0] == 0 and mask[5, 0] and mask[5, 2]


def test_apply_stroke_paints_and_erases_without_touching_the_input():
    base = np.zeros((30, 30), dtype=bool)
    base[10:20, 10:20] = True
    painted = mask_ops.apply_stroke(base, [(5, 5), (25, 5)], 2)
    erased = mask_ops.apply_stroke(base, [(15, 0), (15, 30)], 2, erase=True)
    stroke_h = mask_ops.stroke_mask(base.shape, [(5, 5), (25, 5)], 2)
    stroke_v = mask_ops.stroke_mask(base.shape, [(15, 0), (15, 30)], 2)
    assert np.array_equal(painted, base | stroke_h)
    assert np.array_equal(erased, base & ~stroke_v)
    assert base.sum() == 100


def test_polygon_rectangle_and_triangle_cover_pixel_centres():
    rect = mask_ops.polygon_mask((40, 40), [(10, 10), (20, 10), (20, 30), (10, 30)])
    expected = np.zeros((40, 40), dtype=bool)
    expected[10:30, 10:20] = True
    assert np.array_equal(rect, expected)
    tri = [(2.3, 3.1), (35.6, 8.2), (12.9, 33.7)]
    got = mask_ops.polygon_mask((40, 40), tri)
    x, y = centres((40, 40))

    def side(p, q):
        return (q[0] - p[0]) * (y - p[1]) - (q[1] - p[1]) * (x - p[0])

    s1, s2, s3 = side(tri[0], tri[1]), side(tri[1], tri[2]), side(tri[2], tri[0])
    inside = ((s1 > 0) & (s2 > 0) & (s3 > 0)) | ((s1 < 0) & (s2 < 0) & (s3 < 0))
    assert np.array_equal(got, inside)


def test_polygon_even_odd_clipping_and_degenerate_input():
    # A self-crossing bow tie: a left and a right triangle meeting at the centre.
    bow = mask_ops.polygon_mask((20, 20), [(0, 0), (20, 20), (20, 0), (0, 20)])
    assert bow[10, 2] and bow[10, 17] and not bow[2, 10] and not bow[17, 10]
    assert np.array_equal(bow, pnpoly_reference((20, 20), [(0, 0), (20, 20), (20, 0), (0, 20)]))
    # Partly outside the image: clipped.
    big = mask_ops.polygon_mask((10, 10), [(-5, -5), (50, -5), (50, 5), (-5, 5)])
    assert big[:5].all() and not big[5:].any()
    assert not mask_ops.polygon_mask((10, 10), [(1, 1), (5, 5)]).any()
    assert not mask_ops.polygon_mask((10, 10), [(1, 1), (5, 1), (9, 1)]).any()


def pnpoly_reference(shape, vertices):
    """The classic crossing-number test, one pixel centre at a time."""
    out = np.zeros(shape, dtype=bool)
    n = len(vertices)
    for i in range(shape[0]):
        for j in range(shape[1]):
            x, y, inside = j + 0.5, i + 0.5, False
            for k in range(n):
                (xa, ya), (xb, yb) = vertices[k], vertices[k - 1]
                if (ya > y) != (yb > y) and x < (xb - xa) * (y - ya) / (yb - ya) + xa:
                    inside = not inside
            out[i, j] = inside
    return out


def test_random_polygons_match_a_crossing_number_reference():
    rng = np.random.default_rng(7)
    for _ in range(5):
        vertices = [tuple(v) for v in rng.uniform(-3, 33, size=(int(rng.integers(3, 9)), 2))]
        got = mask_ops.polygon_mask((30, 30), vertices)
        assert np.array_equal(got, pnpoly_reference((30, 30), vertices))


def test_apply_polygon_adds_and_cuts():
    base = np.zeros((20, 20), dtype=bool)
    base[:, :10] = True
    square = [(5, 5), (15, 5), (15, 15), (5, 15)]
    added = mask_ops.apply_polygon(base, square)
    cut = mask_ops.apply_polygon(base, square, cut=True)
    assert added[5:15, 5:15].all() and added[:, :10].all() and added.sum() == 200 + 50
    assert not cut[5:15, 5:10].any() and cut.sum() == 200 - 50


def test_fill_holes_all_or_below_a_size_but_never_the_outside():
    mask = np.zeros((40, 40), dtype=bool)
    mask[5:35, 5:35] = True
    mask[10:12, 10:12] = False  # 4 px hole
    mask[20:30, 20:30] = False  # 100 px hole
    mask[0:10, 0:3] = True  # a block on the border, with background around it
    assert mask_ops.fill_holes(mask)[5:35, 5:35].all()
    small_only = mask_ops.fill_holes(mask, max_area=50)
    assert small_only[10:12, 10:12].all() and not small_only[20:30, 20:30].any()
    # The background outside the square touches the border: not a hole.
    assert not mask_ops.fill_holes(mask)[0:5, 10:40].any()
    # A hole that reaches the image border is not enclosed.
    notch = np.ones((10, 10), dtype=bool)
    notch[0:5, 4:6] = False
    assert np.array_equal(mask_ops.fill_holes(notch), notch)


def test_fill_holes_uses_4_connectivity_for_background():
    # A diagonal gap in the wall does not let the hole leak out.
    mask = np.zeros((7, 7), dtype=bool)
    mask[1:6, 1:6] = True
    mask[2:5, 2:5] = False
    mask[1, 1] = False  # corner pixel off: hole touches it only diagonally
    filled = mask_ops.fill_holes(mask)
    assert filled[2:5, 2:5].all() and not filled[1, 1]


def test_remove_islands_is_literal_and_8_connected():
    mask = np.zeros((30, 30), dtype=bool)
    mask[2:12, 2:12] = True  # 100 px
    mask[20, 20] = mask[21, 21] = mask[22, 22] = True  # a diagonal 3 px island
    mask[25:27, 2:4] = True  # 4 px island
    out = mask_ops.remove_islands(mask, 4)
    assert out[2:12, 2:12].all() and not out[20:23, 20:23].any() and out[25:27, 2:4].all()
    assert mask_ops.remove_islands(mask, 5).sum() == 100
    assert not mask_ops.remove_islands(mask, 101).any()
    assert np.array_equal(mask_ops.remove_islands(mask, 3), mask)


def test_grow_and_shrink_are_euclidean():
    dot = np.zeros((21, 21), dtype=bool)
    dot[10, 10] = True
    x, y = centres(dot.shape)
    for n in (1, 3, 6):
        assert np.array_equal(mask_ops.grow(dot, n), (x - 10.5) ** 2 + (y - 10.5) ** 2 <= n * n)
    square = np.zeros((30, 30), dtype=bool)
    square[5:25, 5:25] = True
    shrunk = mask_ops.shrink(square, 3)
    assert shrunk.sum() == 14 * 14 and shrunk[8:22, 8:22].all()
    assert np.array_equal(mask_ops.grow(square, -3), shrunk)
    assert np.array_equal(mask_ops.grow(square, 0), square)
    assert not mask_ops.shrink(dot, 1).any()


def test_shrink_keeps_an_edge_cut_by_the_image_border():
    mask = np.zeros((20, 20), dtype=bool)
    mask[:, :10] = True  # touches the left, top and bottom borders
    shrunk = mask_ops.shrink(mask, 2)
    assert shrunk[:, :8].all() and not shrunk[:, 8:].any()
    assert np.array_equal(mask_ops.shrink(np.ones((5, 5), bool), 2), np.ones((5, 5), bool))


def test_smooth_edges_removes_jaggies_and_keeps_straight_edges():
    mask = np.zeros((60, 60), dtype=bool)
    mask[10:50, 10:50] = True
    noisy = mask.copy()
    noisy[10, 20] = noisy[10, 30] = False  # bites out of the top edge
    noisy[5, 30] = True  # a speck outside
    smooth = mask_ops.smooth_edges(noisy, 2.0)
    assert smooth[10, 20] and smooth[10, 30] and not smooth[5, 30]
    assert smooth[30, 10:50].all() and not smooth[30, :10].any() and not smooth[30, 50:].any()
    assert not smooth[10, 10]  # corners round off
    assert np.array_equal(mask_ops.smooth_edges(noisy, 0), noisy)


def test_clean_ups_leave_empty_masks_empty_and_inputs_untouched():
    empty = np.zeros((8, 8), dtype=bool)
    for op in (
        lambda m: mask_ops.fill_holes(m),
        lambda m: mask_ops.remove_islands(m, 5),
        lambda m: mask_ops.smooth_edges(m, 2),
        lambda m: mask_ops.grow(m, 2),
        lambda m: mask_ops.shrink(m, 2),
    ):
        assert not op(empty).any()
    base = np.zeros((20, 20), dtype=bool)
    base[5:15, 5:15] = True
    copy = base.copy()
    mask_ops.grow(base, 2), mask_ops.shrink(base, 2), mask_ops.smooth_edges(base, 1)
    assert np.array_equal(base, copy)


def test_non_2d_masks_are_refused():
    with pytest.raises(ValueError, match="2-D"):
        mask_ops.paint_capsule(np.zeros((2, 2, 2), dtype=bool), (0, 0), (1, 1), 1)
