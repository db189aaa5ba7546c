"""OpenCV mask clean-up: small holes filled, small islands removed, the same on every machine."""

from __future__ import annotations

import numpy as np
import pytest

from videoseg_desktop.inference import postprocess
from videoseg_desktop.inference.postprocess import PostProcessing, clean_mask, remove_small_islands


def _square_with_holes() -> np.ndarray:
    mask = np.zeros((100, 100), bool)
    mask[10:90, 10:90] = True
    mask[20:23, 20:23] = False  # 9 px hole
    mask[50:60, 50:60] = False  # 100 px hole
    return mask


def test_small_holes_are_filled_and_big_ones_kept():
    mask = _square_with_holes()
    out = clean_mask(mask, 32, 0)
    assert out[20:23, 20:23].all()
    assert not out[50:60, 50:60].any()
    assert out.sum() == mask.sum() + 9
    assert not mask[20:23, 20:23].any()  # input untouched


def test_background_touching_the_border_is_never_a_hole():
    mask = np.ones((50, 50), bool)
    mask[0:2, 20:23] = False  # a 6 px notch at the top edge
    assert not clean_mask(mask, 32, 0)[0:2, 20:23].any()


def test_small_islands_are_removed_but_the_largest_region_stays():
    mask = np.zeros((100, 100), bool)
    mask[10:40, 10:40] = True  # 900 px
    mask[70:72, 70:72] = True  # 4 px island
    out = remove_small_islands(mask, 32)
    assert out[10:40, 10:40].all() and not out[70:72, 70:72].any()

    tiny_object = np.zeros((100, 100), bool)
    tiny_object[5:9, 5:9] = True  # 16 px, the only region: kept
    tiny_object[50, 50] = True  # 1 px speck: removed
    out = remove_small_islands(tiny_object, 32)
    assert out.sum() == 16


def test_diagonal_touch_keeps_a_region_whole():
    mask = np.zeros((20, 20), bool)
    mask[2:12, 2:12] = True  # 100 px
    mask[12:14, 12:14] = True  # touches diagonally: same 8-connected region
    assert remove_small_islands(mask, 32).sum() == mask.sum()


def test_zero_thresholds_change_nothing():
    mask = _square_with_holes()
    mask[95, 95] = True
    assert np.array_equal(clean_mask(mask, 0, 0), mask)
    assert np.array_equal(PostProcessing(0, 0).apply(mask), mask)


def test_default_post_processing_fills_and_removes():
    mask = _square_with_holes()
    mask[95, 95] = True
    out = PostProcessing().apply(mask)
    assert out.dtype == bool
    assert out[20:23, 20:23].all() and not out[95, 95] and not out[50:60, 50:60].any()


def test_empty_and_full_masks_survive():
    assert not clean_mask(np.zeros((8, 8), bool), 32, 32).any()
    assert clean_mask(np.ones((8, 8), bool), 32, 32).all()


def _reference(mask: np.ndarray, holes: int, islands: int) -> np.ndarray:
    """The plain definition: label the whole frame (holes via core.mask_ops)."""
    import cv2

    from videoseg_desktop.core.mask_ops import fill_holes

    out = fill_holes(mask, holes) if holes else mask.copy()
    if islands:
        count, labels, stats, _ = cv2.connectedComponentsWithStats(
            out.astype(np.uint8), connectivity=8
        )
        small = stats[:, cv2.CC_STAT_AREA] < islands
        small[0] = False
        if count > 1 and small[1:].all():
            small[1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))] = False
        out = out & ~small[labels]
    return out


def _tied_all_small(mask: np.ndarray, holes: int, islands: int) -> bool:
    """Every region is small and two share the largest area: which one stays is arbitrary."""
    import cv2

    from videoseg_desktop.core.mask_ops import fill_holes

    filled = fill_holes(mask, holes) if holes else mask
    _, _, stats, _ = cv2.connectedComponentsWithStats(filled.astype(np.uint8), connectivity=8)
    areas = stats[1:, cv2.CC_STAT_AREA]
    return len(areas) > 1 and (areas < islands).all() and (areas == areas.max()).sum() > 1


@pytest.mark.parametrize("max_crops", [0, 1000, 10**9], ids=["whole-frame", "default", "crops"])
def test_clean_up_equals_whole_frame_labelling(max_crops, monkeypatch):
    import cv2

    monkeypatch.setattr(postprocess, "MAX_CROPS", max_crops)
    rng = np.random.default_rng(1)
    compared = 0
    for _ in range(300):
        h, w = rng.integers(20, 160, size=2)
        noise = cv2.GaussianBlur(rng.random((h, w)).astype(np.float32), (0, 0), rng.uniform(0.6, 4))
        mask = noise > np.quantile(noise, rng.uniform(0.2, 0.9))
        holes, islands = (int(v) for v in rng.choice([0, 1, 2, 5, 20, 60], size=2))
        if _tied_all_small(mask, holes, islands):
            continue
        compared += 1
        assert np.array_equal(clean_mask(mask, holes, islands), _reference(mask, holes, islands))
    assert compared > 250
