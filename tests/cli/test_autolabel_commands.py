"""`videoseg autolabel`, in-process, with a tiny random SAM 3 imported like a user's model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.helpers.tracking import one_torch_thread
from tests.helpers.video import write_video
from videoseg_desktop.cli.main import main
from videoseg_desktop.core.records import MaskSource, MediaKind, ObjectState
from videoseg_desktop.store import Project

MODEL = ["--model", "tiny3", "--threshold", "0.25", "--device", "cpu"]


@pytest.fixture(scope="module", autouse=True)
def _one_torch_thread():
    yield from one_torch_thread()


def _shapes(t: int) -> np.ndarray:
    im = np.full((90, 120, 3), 40, np.uint8)
    im[20 + t : 50 + t, 10 + 2 * t : 40 + 2 * t] = (220, 60, 60)
    im[50:80, 80 - t : 110 - t] = (60, 200, 90)
    return im


@pytest.fixture
def project(tmp_path, sam3_models_dir) -> Path:
    """Media 1-3: pictures; media 4: a 12-frame video."""
    paths = []
    for i in range(3):
        paths.append(tmp_path / f"img{i}.png")
        Image.fromarray(_shapes(3 * i)).save(paths[-1])
    paths.append(write_video([_shapes(t) for t in range(12)], tmp_path / "clip.mp4"))
    folder = tmp_path / "proj"
    assert main(["new", str(folder)]) == 0
    assert main(["import", str(folder), *map(str, paths)]) == 0
    return folder


def _run(project, *extra, capsys=None) -> dict:
    code = main(["autolabel", str(project), *MODEL, "--json", *extra])
    assert code == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_autolabel_suggests_every_instance_and_a_rerun_resumes(project, capsys):
    first = _run(project, "--concept", "red car=car", capsys=capsys)
    assert first["runs"] == 4 and first["images"] == 3 and first["videos"] == 1
    assert first["objects"] > 0 and first["masks"] >= first["objects"]
    with Project.open(project) as p:
        car = p.labels.get("car")
        objects = [o for m in p.media.list() for o in p.objects.list(m.id)]
        assert {o.label_id for o in objects} == {car.id}
        assert {o.state for o in objects} == {ObjectState.SUGGESTED}
        masks = [r for o in objects for r in p.masks.for_object(o.id)]
        assert {m.source for m in masks} == {MaskSource.AUTO} and {m.model for m in masks} == {
            "tiny3@112"
        }
        assert all(0 <= m.score <= 1 for m in masks)
        video = next(m for m in p.media.list() if m.kind == MediaKind.VIDEO)
        tracks = [p.masks.frames_of(o.id) for o in p.objects.list(video.id)]
        assert any(len(t) > 1 for t in tracks)  # tracked through frames, not one frame each
        count = p.objects.counts()
    again = _run(project, "--concept", "red car=car", capsys=capsys)
    assert again["state"] == "nothing to do" and again["runs"] == 0
    with Project.open(project) as p:
        assert p.objects.counts() == count


def test_media_selection_accept_and_exemplars(project, capsys):
    out = _run(
        project,
        "--concept",
        "=blob",
        "--exemplar",
        "2:0:10,20,60,60",
        "--exemplar",
        "2:0:70,50,110,80:neg",
        "--media",
        "1,2",
        "--accept",
        capsys=capsys,
    )
    assert out["runs"] == 1 and out["images"] == 1  # boxes only: just where they are drawn
    with Project.open(project) as p:
        assert p.objects.list(1) == []
        assert {o.state for o in p.objects.list(2)} <= {ObjectState.NORMAL}
        assert len(p.prelabels.list(2)) == 1
        accepted = p.objects.counts()["masks"]
    assert main(["info", str(project), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["masks_by_source"]["auto"] == accepted > 0
    assert info["masks_by_source"]["clicked"] == 0
    assert info["auto_masks"] == {"accepted": accepted, "not_accepted": 0}
    assert info["objects_by_state"]["suggested"] == 0


def test_info_tells_suggested_from_accepted(project, capsys):
    out = _run(project, "--concept", "red car=car", "--media", "1", capsys=capsys)
    assert main(["info", str(project), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["objects_by_state"]["suggested"] == out["objects"] > 0
    assert info["masks_by_source"]["auto"] == info["auto_masks"]["not_accepted"] == out["masks"]
    assert main(["info", str(project)]) == 0
    assert f"auto {out['masks']}" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--concept", "car", "--model", "missing"], "no SAM 3 model named 'missing'"),
        (["--threshold", "2", "--concept", "car"], "threshold"),
        (["--concept", "=x", "--exemplar", "9:0:1,1,5,5"], "no media with id 9"),
        (["--concept", "=x", "--exemplar", "1:0:1,1,500,5"], "outside media 1"),
    ],
)
def test_bad_requests_get_one_line(project, capsys, args, message):
    code = main(["autolabel", str(project), *MODEL, *args])
    err = capsys.readouterr().err
    assert code == 1 and message in err and err.count("\n") == 1


def test_exemplar_syntax_is_checked_by_the_parser(project, capsys):
    with pytest.raises(SystemExit):
        main(["autolabel", str(project), "--exemplar", "1:0:1,1,5,5"])
    assert "follows the --concept" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["autolabel", str(project), "--concept", "a", "--exemplar", "1:0:1,1,5"])


def test_ctrl_c_keeps_what_was_stored_and_the_next_run_resumes(project, capsys, monkeypatch):
    from videoseg_desktop.inference import concept_video

    real = concept_video.ConceptVideoSession.propagate

    def interrupted(self, *args, on_frame=None, **kwargs):
        def stop_after_six(result):
            on_frame(result)
            if result.frame == 5:
                raise KeyboardInterrupt

        return real(self, *args, on_frame=stop_after_six, **kwargs)

    monkeypatch.setattr(concept_video.ConceptVideoSession, "propagate", interrupted)
    code = main(["autolabel", str(project), *MODEL, "--concept", "car", "--json"])
    assert code == 130
    with Project.open(project) as p:
        runs = {r.media_id: r for r in p.prelabels.list()}
        assert {r.state for m, r in runs.items() if m != 4} == {"done"}
        assert runs[4].state == "running" and runs[4].frames_done == 6
        assert p.objects.list(4)  # what was found before Ctrl-C is stored
    monkeypatch.setattr(concept_video.ConceptVideoSession, "propagate", real)
    out = _run(project, "--concept", "car", capsys=capsys)
    assert out["runs"] == 1 and out["videos"] == 1  # only the unfinished video
    with Project.open(project) as p:
        run = p.prelabels.get(4, p.prelabels.list(4)[0].concept, "tiny3@112")
        assert run.state == "done" and run.frames_done == 12
        # redone, not duplicated: every object is the finished run's, with its masks only
        objects = {o.id for o in p.objects.list(4)}
        assert objects == set(p.prelabels.objects_of(run.id))
        assert sum(len(p.masks.frames_of(o)) for o in objects) == run.found
