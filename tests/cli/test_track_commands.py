"""`videoseg track`, in-process, on a real imported video (random tiny weights, 256 px)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.helpers.tracking import one_torch_thread
from tests.helpers.video import moving_square_frames, write_video
from videoseg_desktop.batch.track_batch import TrackWriter
from videoseg_desktop.cli.main import main
from videoseg_desktop.core.masks import decode_rle, encode_rle
from videoseg_desktop.core.records import MaskSource
from videoseg_desktop.inference import registry
from videoseg_desktop.inference.video_results import FrameResult
from videoseg_desktop.store import Project

FRAMES = 12


@pytest.fixture(scope="module", autouse=True)
def _one_torch_thread():
    yield from one_torch_thread()


@pytest.fixture(autouse=True)
def models_dir(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv(registry.MODELS_DIR_ENV, str(tmp_path / "models"))
    return tmp_path / "models"


@pytest.fixture
def project(tmp_path) -> Path:
    """Media 1: a 12-frame 320x240 video of a moving square; media 2: a picture."""
    write_video(moving_square_frames(FRAMES), tmp_path / "clip.mp4", gop=5)
    Image.fromarray(np.zeros((40, 60, 3), np.uint8)).save(tmp_path / "still.png")
    folder = tmp_path / "proj"
    assert main(["new", str(folder)]) == 0
    assert (
        main(["import", str(folder), str(tmp_path / "clip.mp4"), str(tmp_path / "still.png")]) == 0
    )
    return folder


def _model(checkpoint: Path) -> list[str]:
    return ["--checkpoint", str(checkpoint), "--image-size", "256", "--device", "cpu"]


def _track(project: Path, checkpoint: Path, *args: str) -> int:
    return main(
        ["track", str(project), "1", *args, *_model(checkpoint), "--json", "--user", "tracker"]
    )


def _square_box(frame: int) -> str:
    x = 10 + frame * 7
    return f"{x},60,{x + 50},110"


def _stored(project: Path, name: str) -> dict[int, tuple]:
    with Project.open(project, read_only=True) as p:
        obj = p.objects.find(1, name)
        return {r.frame: (r.source, r.rle, r.model) for r in p.masks.for_object(obj.id)}


def test_track_both_ways_from_a_clicked_frame_keeps_it_and_fills_the_rest(
    project, random_checkpoint, capsys
):
    assert (
        main(
            ["segment", str(project), "1", "--frame", "4", "--object", "car", "--user", "tracker"]
            + ["--box", _square_box(4), *_model(random_checkpoint), "--json"]
        )
        == 0
    )
    clicked = _stored(project, "car")[4]
    capsys.readouterr()

    assert _track(project, random_checkpoint) == 0
    out, err = capsys.readouterr()
    report = json.loads(out)
    assert report["frames"] == FRAMES + 1  # 4..11 forward, then 4..0 backward
    assert report["objects"] == ["car"] and report["kept"] == 2
    assert report["stored"] == FRAMES - 1 and report["model"] == "sam2.1_tiny@256"
    assert "tracking:" in err

    stored = _stored(project, "car")
    assert sorted(stored) == list(range(FRAMES))
    assert stored[4] == clicked  # the clicked mask is untouched
    with Project.open(project, read_only=True) as p:
        records = list(p.masks.for_object(p.objects.find(1, "car").id))
    # every tracked frame keeps the model's confidence (sigmoid of its object score logit)
    assert all(0.5 < r.score <= 1 for r in records if r.source == MaskSource.PROPAGATED)
    assert {r.author for r in records} == {"tracker"}
    for frame, (source, rle, model) in stored.items():
        if frame != 4:
            assert source == MaskSource.PROPAGATED and model == "sam2.1_tiny@256"
            assert rle["size"] == [240, 320]
    areas = {decode_rle(rle).sum() for _, rle, _ in stored.values()}
    assert len(areas) > FRAMES // 2  # masks follow the frames, not one copy


def test_edited_frames_condition_tracking_and_are_never_overwritten(project, random_checkpoint):
    edited = np.zeros((240, 320), bool)
    edited[60:110, 66:116] = True  # the square on frame 8
    with Project.open(project) as p:
        obj = p.objects.add(1, None, name="square")
        p.prompts.add(obj.id, 2, "point", (45, 85), True)
        p.masks.put(obj.id, 8, encode_rle(edited), MaskSource.EDITED, "hand")
        other = p.objects.add(1, None, name="untouched")
        p.masks.put(other.id, 0, encode_rle(edited), MaskSource.PROPAGATED, "old")

    assert _track(project, random_checkpoint, "--object", "square", "--direction", "forward") == 0
    stored = _stored(project, "square")
    # Starts at the first conditioning frame (2, from its prompt) and runs to the end.
    assert sorted(stored) == list(range(2, FRAMES))
    source, rle, model = stored[8]
    assert source == MaskSource.EDITED and model == "hand"
    assert np.array_equal(decode_rle(rle), edited)
    assert stored[2][0] == MaskSource.PROPAGATED  # prompts alone are not a stored mask
    assert _stored(project, "untouched")[0][2] == "old"  # other objects are left alone

    # Bounded range, backward from the edited frame.
    assert _track(project, random_checkpoint, "--object", "square", "--direction", "backward",
                  "--from", "8", "--to", "5") == 0  # fmt: skip
    after = _stored(project, "square")
    assert after[8] == stored[8]
    assert [f for f in range(2, FRAMES) if after[f][1] != stored[f][1]] != []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--direction", "both", "--to", "3"], "--to needs"),
        (["--from", "12"], "out of range"),
        (["--object", "nobody"], "no object named"),
        ([], "no object of media 1"),
    ],
)
def test_bad_requests_fail_before_loading_a_model(project, capsys, args, message):
    code = main(["track", str(project), "1", *args, "--checkpoint", "/nonexistent.pt"])
    assert code == 1 and message in capsys.readouterr().err


def test_images_cannot_be_tracked(project, capsys):
    assert main(["track", str(project), "2"]) == 1
    assert "needs a video" in capsys.readouterr().err


def test_mask_writer_batches_and_clears_stale_tracked_masks(project):
    square = np.zeros((240, 320), bool)
    square[60:110, 10:60] = True
    with Project.open(project) as p:
        obj = p.objects.add(1, None, name="o")
        p.masks.put(obj.id, 0, encode_rle(square), MaskSource.CLICKED, "m")
        p.masks.put(obj.id, 5, encode_rle(square), MaskSource.PROPAGATED, "m")
        writer = TrackWriter(p, "model", [obj.id])
        empty = np.zeros_like(square)
        for frame, mask in [(0, empty), (1, square), (5, empty), (6, empty)]:
            writer.add(FrameResult(frame, {obj.id: mask}, {}, {}))
        assert p.masks.get(obj.id, 1) is None  # not flushed yet
        writer.flush()
        assert (writer.stored, writer.removed, writer.kept) == (1, 1, 1)
        assert p.masks.get(obj.id, 0).source == MaskSource.CLICKED
        assert p.masks.get(obj.id, 1).source == MaskSource.PROPAGATED
        assert p.masks.get(obj.id, 5) is None and p.masks.get(obj.id, 6) is None


def test_an_auto_track_keeps_its_first_mask_and_its_other_frames_are_re_tracked(project):
    square = np.zeros((240, 320), bool)
    square[60:110, 10:60] = True
    with Project.open(project) as p:
        obj = p.objects.add(1, None, name="found")
        for frame in (2, 3, 4):
            p.masks.put(obj.id, frame, encode_rle(square), MaskSource.AUTO, "sam3@1008", 0.9)
        writer = TrackWriter(p, "model", [obj.id])
        empty = np.zeros_like(square)
        for frame, mask in [(2, empty), (3, square), (4, empty)]:
            writer.add(FrameResult(frame, {obj.id: mask}, {}, {}))
        writer.flush()
        assert (writer.stored, writer.removed, writer.kept) == (1, 1, 1)
        assert p.masks.get(obj.id, 2).source == MaskSource.AUTO  # the anchor stays
        assert p.masks.get(obj.id, 3).source == MaskSource.PROPAGATED
        assert p.masks.get(obj.id, 4) is None  # SAM 2.1 no longer sees it there
