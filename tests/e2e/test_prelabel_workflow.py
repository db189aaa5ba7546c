"""End to end on the command line: SAM 3 finds and tracks a concept through a video, then the
SAM 2.1 correction workflow takes over an auto track: a correction click on a later frame,
re-tracking from it, and the track keeps its anchor and the hand-made frame (random weights:
the masks mean nothing, every step must still run and keep the rules)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from tests.helpers.tracking import one_torch_thread
from tests.helpers.video import write_video
from videoseg_desktop.cli.main import main
from videoseg_desktop.core.records import MaskSource, ObjectState
from videoseg_desktop.store import Project

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", autouse=True)
def _one_torch_thread():
    yield from one_torch_thread()


def _frame(t: int) -> np.ndarray:
    im = np.full((90, 120, 3), 40, np.uint8)
    im[20 + t : 50 + t, 10 + 2 * t : 40 + 2 * t] = (220, 60, 60)
    im[50:80, 80 - t : 110 - t] = (60, 200, 90)
    return im


def test_concept_track_then_correct_and_retrack_with_sam2(
    tmp_path, sam3_models_dir, random_checkpoint, capsys
):
    video = write_video([_frame(t) for t in range(12)], tmp_path / "clip.mp4")
    Image.fromarray(_frame(0)).save(tmp_path / "still.png")
    proj = str(tmp_path / "proj")
    assert main(["new", proj]) == 0
    assert main(["import", proj, str(video), str(tmp_path / "still.png")]) == 0
    sam3 = ["--model", "tiny3", "--threshold", "0.25", "--device", "cpu", "--json"]
    assert main(["autolabel", proj, "--concept", "car", *sam3]) == 0
    capsys.readouterr()

    with Project.open(proj) as p:
        objects = p.objects.list(1)
        assert objects and {o.state for o in objects} == {ObjectState.SUGGESTED}
        track = max(objects, key=lambda o: len(p.masks.frames_of(o.id)))
        frames = [f for f, s in p.masks.frames_of(track.id)]
        assert len(frames) >= 3 and {s for _, s in p.masks.frames_of(track.id)} == {MaskSource.AUTO}
        p.objects.set_state(track.id, ObjectState.NORMAL)  # accepted by the annotator
        anchor, later = frames[0], frames[-1]
        anchor_mask = p.masks.get(track.id, anchor)

    sam2 = ["--checkpoint", str(random_checkpoint), "--image-size", "256", "--device", "cpu"]
    click = ["--frame", str(later), "--object", track.name, "--point", "60,45"]
    assert main(["segment", proj, "1", *click, *sam2, "--json"]) == 0
    assert (
        main(["track", proj, "1", "--object", track.name, "--from", str(later), *sam2, "--json"])
        == 0
    )
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["kept"] >= 2  # the anchor and the corrected frame

    with Project.open(proj) as p:
        sources = dict(p.masks.frames_of(track.id))
        assert sources[anchor] == MaskSource.AUTO and p.masks.get(track.id, anchor) == anchor_mask
        assert sources[later] == MaskSource.CLICKED
        others = {f: s for f, s in sources.items() if f not in (anchor, later)}
        assert others and set(others.values()) <= {MaskSource.PROPAGATED}  # re-tracked
        assert p.objects.get(track.id).state == ObjectState.NORMAL
