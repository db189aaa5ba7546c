import math

import numpy as np
import pytest

from videoseg_desktop.export.boundary import (
    boundary_f_measure,
    boundary_tolerance,
    disk,
    region_similarity,
    seg2bmap,
    sequence_statistics,
)


def _square(x0, y0, size, h=100, w=120):
    m = np.zeros((h, w), bool)
    m[y0 : y0 + size, x0 : x0 + size] = True
    return m


def test_seg2bmap_marks_pixels_that_differ_from_right_lower_neighbours():
    seg = np.zeros((4, 4), bool)
    seg[1:3, 1:3] = True
    expected = np.array(
        [[1, 1, 1, 0], [1, 0, 1, 0], [1, 1, 1, 0], [0, 0, 0, 0]],
        bool,
    )
    assert np.array_equal(seg2bmap(seg), expected)


def test_seg2bmap_image_edges():
    seg = np.ones((3, 3), bool)
    assert not seg2bmap(seg).any()  # a full mask has no boundary inside the image
    seg = np.zeros((3, 3), bool)
    seg[2, 0] = True  # bottom row: compared with its right neighbour only
    assert seg2bmap(seg)[2].tolist() == [True, False, False]


def test_disk_and_tolerance():
    assert disk(1).tolist() == [[0, 1, 0], [1, 1, 1], [0, 1, 0]]
    assert disk(2).sum() == 13
    assert boundary_tolerance((480, 854)) == math.ceil(0.008 * math.hypot(480, 854)) == 8
    assert boundary_tolerance((480, 854), 3) == 3


def test_f_measure_edge_cases():
    empty = np.zeros((100, 120), bool)
    sq = _square(20, 20, 30)
    assert boundary_f_measure(empty, empty) == 1.0
    assert boundary_f_measure(sq, empty) == 0.0
    assert boundary_f_measure(empty, sq) == 0.0
    assert boundary_f_measure(sq, sq) == 1.0
    assert region_similarity(empty, empty) == 1.0
    assert region_similarity(sq, empty) == 0.0


def test_f_measure_tolerates_shifts_within_the_disk_only():
    sq = _square(20, 20, 30)
    r = boundary_tolerance(sq.shape)  # ceil(0.008 * 156.2) = 2
    assert r == 2
    assert boundary_f_measure(_square(20 + r, 20, 30), sq) == 1.0
    far = boundary_f_measure(_square(30, 20, 30), sq)
    assert 0 < far < 0.7
    assert region_similarity(_square(30, 20, 30), sq) == pytest.approx(20 / 40)


def test_sequence_statistics_decay_uses_four_bins():
    stats = sequence_statistics([1, 1, 1, 1, 0, 0, 0, 0])
    assert stats == {"mean": 0.5, "recall": 0.5, "decay": 1.0}
    stats = sequence_statistics([0.4, 0.6, 0.8, 1.0])
    assert stats["recall"] == 0.75
    # bins of 4 values: [0:2], [1:3], [2:3], [2:4] -> 0.5 - 0.9
    assert stats["decay"] == pytest.approx(-0.4)
    assert math.isnan(sequence_statistics([])["mean"])


def _uncropped_f(pred, gt, kernel):
    """The same measure computed on the whole frame, to check the bounding-box shortcut."""
    import cv2

    pb, gb = seg2bmap(pred), seg2bmap(gt)
    if not pb.any() and not gb.any():
        return 1.0
    if not pb.any() or not gb.any():
        return 0.0
    pd = cv2.dilate(pb.astype(np.uint8), kernel).astype(bool)
    gd = cv2.dilate(gb.astype(np.uint8), kernel).astype(bool)
    p, r = (pb & gd).sum() / pb.sum(), (gb & pd).sum() / gb.sum()
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def test_cropping_to_the_masks_changes_nothing():
    rng = np.random.default_rng(3)
    for _ in range(200):
        h, w = rng.integers(5, 60, 2)
        a = rng.random((h, w)) < 0.3
        b = rng.random((h, w)) < 0.3
        a[: rng.integers(0, h)] = False  # sometimes far from the top edge, sometimes touching
        b[:, rng.integers(0, w) :] = False
        kernel = disk(int(rng.integers(1, 4)))
        assert boundary_f_measure(a, b, kernel=kernel) == _uncropped_f(a, b, kernel)
