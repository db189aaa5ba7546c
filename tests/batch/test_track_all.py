"""`videoseg track --all` in this process (no Ray): every object of every video, resume."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.helpers.cluster import stored_masks, two_video_project
from tests.helpers.tracking import one_torch_thread
from videoseg_desktop.cli.main import main
from videoseg_desktop.core.records import MaskSource
from videoseg_desktop.inference import registry
from videoseg_desktop.store import Project


@pytest.fixture(scope="module", autouse=True)
def _one_torch_thread():
    yield from one_torch_thread()


@pytest.fixture(autouse=True)
def models_dir(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv(registry.MODELS_DIR_ENV, str(tmp_path / "models"))
    return tmp_path / "models"


def track_all(project: Path, checkpoint: Path, *extra: str) -> int:
    model = ["--checkpoint", str(checkpoint), "--image-size", "256", "--device", "cpu"]
    return main(["track", str(project), "--all", *model, "--json", "--user", "batch", *extra])


def test_track_all_tracks_every_object_of_every_video_and_resumes(
    tmp_path, random_checkpoint, capsys
):
    project = two_video_project(tmp_path)
    before = stored_masks(project)
    capsys.readouterr()

    assert track_all(project, random_checkpoint) == 0
    out, err = capsys.readouterr()
    report = json.loads(out)
    # the progress line counts frames (6 + 4), per frame on a terminal (see test_progress.py)
    assert "tracking: 10/10 100.0% frames, 2 of 2 videos\n" in err
    assert report["videos"] == 2 and report["tracked"] == 2 and report["without_objects"] == 1
    assert report["errors"] == [] and report["kept"] == 4  # each clicked frame, both ways
    stored = stored_masks(project)
    for key, value in before.items():
        assert stored[key] == value  # the clicked masks are untouched
    with Project.open(project, read_only=True) as p:
        a, b, c = (p.objects.find(m, n).id for m, n in ((1, "a"), (2, "b"), (2, "c")))
        runs = p.batch_runs.list("track")
    tracked = {k: v for k, v in stored.items() if v[0] == MaskSource.PROPAGATED}
    assert {f for (o, f) in tracked if o == a} <= set(range(6)) and (a, 0) in tracked
    assert any(o == b for o, _ in tracked) and report["stored"] == len(tracked)
    assert {r.media_id for r in runs} == {1, 2}
    assert sum(r.stored for r in runs) == len(tracked)
    assert all(v[2] == "sam2.1_tiny@256" for v in tracked.values())
    assert c in {o for o, _ in stored} or True  # a random model may see nothing in a box

    # Run again: both videos are done on the same inputs, nothing is tracked or stored.
    assert track_all(project, random_checkpoint) == 0
    again = json.loads(capsys.readouterr().out)
    assert (again["videos"], again["done_before"], again["stored"]) == (0, 2, 0)
    assert stored_masks(project) == stored

    # A new clicked frame changes media 1's inputs: only media 1 is tracked again.
    from tests.helpers.cluster import square
    from videoseg_desktop.core.masks import encode_rle

    with Project.open(project) as p:
        p.masks.put(a, 4, encode_rle(square(4)), MaskSource.EDITED, "hand")
    assert track_all(project, random_checkpoint) == 0
    third = json.loads(capsys.readouterr().out)
    assert (third["videos"], third["done_before"]) == (1, 1)


def test_track_all_refuses_options_for_one_video(tmp_path, capsys):
    project = two_video_project(tmp_path, frames=5)
    for extra, message in (
        (["1", "--all"], "not MEDIA_ID"),
        (["--all", "--object", "a"], "--object is for one video"),
        (["--all", "--workers", "2"], "--workers goes with --cluster"),
    ):
        code = main(["track", str(project), *extra, "--checkpoint", "/none.pt"])
        assert code == 1 and message in capsys.readouterr().err
    assert main(["track", str(project), "1", "--cluster", "local"]) == 1
    assert "--cluster goes with --all" in capsys.readouterr().err
    assert main(["track", str(project)]) == 1
    assert "give a MEDIA_ID, or --all" in capsys.readouterr().err


def test_missing_ray_is_one_line_naming_the_extra(tmp_path, capsys, monkeypatch):
    import sys

    project = two_video_project(tmp_path, frames=5)
    capsys.readouterr()
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    code = main(["track", str(project), "--all", "--cluster", "local", "--image-size", "256"])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1
    assert "videoseg-desktop[cluster]" in err and "Ray" in err


def test_copy_of_a_project_tracks_alike(tmp_path, random_checkpoint, capsys):
    """Two copies of one project, tracked by two runs, store the same masks (what the cluster
    test compares against)."""
    project = two_video_project(tmp_path, frames=5)
    twin = tmp_path / "twin"
    shutil.copytree(project, twin)
    assert track_all(project, random_checkpoint) == 0
    assert track_all(twin, random_checkpoint) == 0
    assert stored_masks(project) == stored_masks(twin)


def test_an_unreachable_cluster_is_one_clear_line(tmp_path, capsys):
    pytest.importorskip("ray")
    project = two_video_project(tmp_path, frames=5)
    capsys.readouterr()
    code = main(["track", str(project), "--all", "--cluster", "127.0.0.1:9", "--image-size", "256"])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1
    assert "cannot reach the Ray cluster at 127.0.0.1:9" in err and "ray start --head" in err


def test_ctrl_c_keeps_the_videos_stored_and_the_next_run_does_the_rest(
    tmp_path, random_checkpoint, capsys, monkeypatch
):
    from videoseg_desktop.batch import track_batch

    project = two_video_project(tmp_path, frames=5)
    store = track_batch.store_track_result
    calls = []

    def store_then_stop(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt  # Ctrl-C while the second video's masks are stored
        return store(*args, **kwargs)

    monkeypatch.setattr(track_batch, "store_track_result", store_then_stop)
    capsys.readouterr()
    assert track_all(project, random_checkpoint) == 130
    out, err = capsys.readouterr()
    assert json.loads(out)["state"].startswith("interrupted") and "interrupted" in err
    with Project.open(project, read_only=True) as p:
        assert [r.media_id for r in p.batch_runs.list("track")] == [1]
    monkeypatch.setattr(track_batch, "store_track_result", store)
    assert track_all(project, random_checkpoint) == 0
    rest = json.loads(capsys.readouterr().out)
    assert (rest["videos"], rest["done_before"], rest["tracked"]) == (1, 1, 1)
