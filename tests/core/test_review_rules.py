"""Each flag rule on constructed tracks: what it catches, and what it must leave alone."""

import math

import pytest

from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.core.review_rules import (
    Flag,
    MaskFacts,
    ReviewThresholds,
    clamp_score,
    confidence_from_logit,
    flag_names,
    flag_track,
    parse_frame_range,
)

TH = ReviewThresholds()


def box_track(n, source="propagated", area=1000, x=100.0, score=0.95, start=0):
    """n consecutive frames of a steady 40x25 box."""
    return [MaskFacts(start + i, area, (x, 50.0, 40.0, 25.0), score, source) for i in range(n)]


def replace(track, frame, **changes):
    out = []
    for f in track:
        if f.frame == frame:
            f = MaskFacts(
                f.frame,
                changes.get("area", f.area),
                changes.get("bbox", f.bbox),
                changes.get("score", f.score),
                changes.get("source", f.source),
                changes.get("accepted", f.accepted),
            )
        out.append(f)
    return out


def test_a_steady_confident_track_has_no_flags():
    assert flag_track(box_track(20), "normal", TH) == {}


def test_auto_masks_and_suggested_objects_are_flagged_until_accepted():
    auto = box_track(3, source="auto")
    assert {f: bits for f, (bits, _) in flag_track(auto, "normal", TH).items()} == {
        0: Flag.AUTO,
        1: Flag.AUTO,
        2: Flag.AUTO,
    }
    clicked = box_track(1, source="clicked")
    assert flag_track(clicked, "suggested", TH)[0][0] == Flag.AUTO
    accepted = replace(auto, 1, accepted=True)
    assert 1 not in flag_track(accepted, "normal", TH)


def test_low_confidence_is_flagged_for_model_masks_only():
    track = replace(box_track(5), 2, score=0.6)
    flags = flag_track(track, "normal", TH)
    assert flags[2][0] & Flag.LOW_SCORE and "0.60" in flags[2][1]
    # a hand edit has no score to judge; a clicked mask's predicted IoU is judged too
    assert flag_track([MaskFacts(0, 10, (0, 0, 2, 5), None, "edited")], "normal", TH) == {}
    clicked = [MaskFacts(0, 10, (0, 0, 2, 5), 0.4, "clicked")]
    assert flag_track(clicked, "normal", TH)[0][0] == Flag.LOW_SCORE


def test_a_sharp_drop_flags_the_lower_frame_in_either_direction():
    forward = replace(box_track(5), 3, score=0.8)  # 0.95 -> 0.80: drop 0.15, under 0.25
    assert flag_track(forward, "normal", TH) == {}
    forward = replace(box_track(5), 3, score=0.6)  # drop 0.35 (and low)
    flags = flag_track(forward, "normal", TH)
    assert set(flags) == {3} and flags[3][0] == Flag.SCORE_DROP | Flag.LOW_SCORE
    lenient = ReviewThresholds(min_score=0.5)
    assert flag_track(forward, "normal", lenient)[3][0] == Flag.SCORE_DROP


def test_an_area_jump_flags_both_tracked_frames_of_the_jump():
    track = box_track(6)
    for f in range(3, 6):
        track = replace(track, f, area=2500)  # the mask grows 2.5x at frame 3 and stays
    flags = flag_track(track, "normal", TH)
    assert set(flags) == {2, 3}
    assert all(bits == Flag.DRIFT for bits, _ in flags.values())
    assert "area x2.50 vs frame 2" in flags[3][1]


def test_a_jump_next_to_a_clicked_frame_flags_only_the_tracked_one():
    track = replace(box_track(4), 0, source="clicked")
    track = replace(track, 1, area=3000)
    flags = flag_track(track, "normal", TH)
    assert 0 not in flags and flags[1][0] == Flag.DRIFT and flags[2][0] == Flag.DRIFT


def test_a_position_jump_is_drift_but_steady_motion_is_not():
    moving = [
        MaskFacts(i, 1000, (100.0 + 5 * i, 50.0, 40.0, 25.0), 0.95, "propagated") for i in range(10)
    ]
    assert flag_track(moving, "normal", TH) == {}
    jumped = replace(moving, 5, bbox=(300.0, 50.0, 40.0, 25.0))
    flags = flag_track(jumped, "normal", TH)
    assert set(flags) == {4, 5, 6} and "box diagonals" in flags[5][1]


def test_tiny_masks_do_not_flag_on_a_few_pixels():
    track = [
        MaskFacts(i, a, (10.0, 10.0, 3.0, 3.0), 0.95, "propagated") for i, a in enumerate((4, 9, 3))
    ]
    assert flag_track(track, "normal", TH) == {}


def test_disappearing_and_reappearing_flags_both_ends_of_the_gap():
    track = box_track(5) + box_track(5, start=12)
    flags = flag_track(track, "normal", TH)
    assert set(flags) == {4, 12}
    assert flags[4][0] == flags[12][0] == Flag.GAP
    assert "absent on frames 5-11" in flags[12][1]


def test_a_gap_up_to_a_clicked_frame_is_not_a_reappearance():
    # tracked 0-4, then the annotator clicked frame 20 without tracking in between
    track = box_track(5) + [MaskFacts(20, 1000, (100.0, 50.0, 40.0, 25.0), 0.9, "clicked")]
    assert flag_track(track, "normal", TH) == {}


def test_conflict_objects_are_flagged():
    flags = flag_track(box_track(2, source="imported", score=None), "conflict", TH)
    assert all(bits == Flag.CONFLICT for bits, _ in flags.values())


def test_accepted_masks_carry_no_flag_but_still_serve_as_neighbours():
    track = replace(box_track(4), 2, area=5000, accepted=True)
    flags = flag_track(track, "normal", TH)
    assert set(flags) == {1, 3}


def test_flag_names_in_order():
    assert flag_names(Flag.GAP | Flag.AUTO) == ["auto", "gap"]


def test_thresholds_from_settings_are_checked():
    th = ReviewThresholds.from_settings({"review.min_score": "0.6", "review.shift": "2"})
    assert th.min_score == 0.6 and th.shift == 2.0 and th.area_ratio == 1.5
    for bad in ("abc", "nan", "1.5", "-1", "inf"):
        with pytest.raises(VideoSegError, match="review setting min_score"):
            ReviewThresholds.from_settings({"review.min_score": bad})
        lenient = ReviewThresholds.from_settings({"review.min_score": bad}, strict=False)
        assert lenient.min_score == TH.min_score
    assert th.signature() != TH.signature()


def test_confidence_from_object_score_logit():
    assert confidence_from_logit(0.0) == 0.5
    assert confidence_from_logit(10.0) > 0.9999
    assert 0 <= confidence_from_logit(-1000.0) < 1e-300 or confidence_from_logit(-1000.0) == 0.0
    assert confidence_from_logit(1000.0) == 1.0
    assert confidence_from_logit(math.nan) == 0.0
    assert clamp_score(1.02) == 1.0 and clamp_score(-0.1) == 0.0 and clamp_score(None) is None


def test_frame_ranges():
    assert parse_frame_range("30-45") == (30, 45)
    assert parse_frame_range("7", 10) == (7, 7)
    for bad in ("a-b", "5-3", "-2", "1-2-3"):
        with pytest.raises(VideoSegError, match="frames"):
            parse_frame_range(bad)
    with pytest.raises(VideoSegError, match="out of range"):
        parse_frame_range("5-12", 10)
