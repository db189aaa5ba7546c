"""`videoseg models ...` and `videoseg segment`, in-process, with random tiny weights at 256 px."""

from __future__ import annotations

import hashlib
import json
import pickle
import socket
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.helpers.http_server import FileServer
from tests.helpers.video import moving_square_frames, write_video
from videoseg_desktop.cli.main import main
from videoseg_desktop.core.masks import decode_rle
from videoseg_desktop.core.prompts import Box, Point
from videoseg_desktop.core.records import MaskSource
from videoseg_desktop.inference import registry
from videoseg_desktop.inference.engine import SamEngine
from videoseg_desktop.store import Project


@pytest.fixture(autouse=True)
def models_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "models"
    monkeypatch.setenv(registry.MODELS_DIR_ENV, str(folder))
    return folder


@pytest.fixture(scope="module")
def engine(random_checkpoint) -> SamEngine:
    return SamEngine.load("tiny", random_checkpoint, image_size=256, device="cpu")


@pytest.fixture
def project(tmp_path) -> Path:
    """A project whose media 1 is a 400x300 picture and media 2 a 6-frame video."""
    img = np.zeros((300, 400, 3), np.uint8)
    img[:] = (30, 60, 90)
    img[80:220, 120:300] = (220, 180, 40)
    Image.fromarray(img).save(tmp_path / "photo.png")
    write_video(moving_square_frames(6), tmp_path / "clip.mp4", gop=4)
    folder = tmp_path / "proj"
    assert main(["new", str(folder)]) == 0
    assert (
        main(["import", str(folder), str(tmp_path / "photo.png"), str(tmp_path / "clip.mp4")]) == 0
    )
    return folder


def _segment(project: Path, checkpoint: Path, *args: str) -> int:
    return main(
        ["segment", str(project), *args, "--checkpoint", str(checkpoint)]
        + ["--image-size", "256", "--device", "cpu", "--json"]
    )


def _frame(project: Path, media_id: int, frame: int) -> np.ndarray:
    with Project.open(project, read_only=True) as p, p.open_frames(p.media.get(media_id)) as src:
        return src.read(frame)


def _snapshot(project: Path) -> tuple:
    with Project.open(project, read_only=True) as p:
        objects = [o for m in (1, 2) for o in p.objects.list(m)]
        prompts = [pr for o in objects for pr in p.prompts.list(o.id)]
        masks = [p.masks.get(o.id, f) for o in objects for f in range(6)]
        return objects, prompts, masks, p.labels.list()


def test_segment_stores_prompts_and_the_models_mask(project, random_checkpoint, engine, capsys):
    capsys.readouterr()
    assert _segment(project, random_checkpoint, "1", "--object", "car", "--label", "vehicle",
                    "--point", "200,150", "--user", "seg-user") == 0  # fmt: skip
    report = json.loads(capsys.readouterr().out)
    assert (report["object"], report["frame"], report["model"]) == ("car", 0, "sam2.1_tiny@256")

    rgb = _frame(project, 1, 0)
    first = engine.image_session().predict("photo", rgb, [Point(200, 150)])
    with Project.open(project, read_only=True) as p:
        obj = p.objects.find(1, "car")
        assert obj.id == report["object_id"] and obj.label_id == p.labels.get("vehicle").id
        prompts = p.prompts.list(obj.id, 0)
        assert [(pr.kind, pr.coords, pr.positive) for pr in prompts] == [
            ("point", (200.0, 150.0), True)
        ]
        mask = p.masks.get(obj.id, 0)
        assert (mask.source, mask.model) == (MaskSource.CLICKED, "sam2.1_tiny@256")
        assert np.array_equal(decode_rle(mask.rle), first.mask)
        # SAM's predicted IoU is kept with the mask; who clicked is kept everywhere
        assert mask.score == pytest.approx(first.score)
        assert report["score"] == pytest.approx(mask.score, abs=1e-4)
        assert mask.author == obj.author == prompts[0].author == "seg-user"
        assert p.objects.get(obj.id).clicks == 1
        assert mask.area == report["area"] == int(first.mask.sum())

    # A second call refines the same object with all of the frame's prompts.
    assert _segment(project, random_checkpoint, "1", "--object", "car",
                    "--point", "20,20,0", "--box", "300,220,100,60") == 0  # fmt: skip
    assert json.loads(capsys.readouterr().out)["object_id"] == obj.id
    refined = engine.image_session().predict(
        "photo", None, [Point(200, 150), Point(20, 20, False)], Box(100, 60, 300, 220)
    )
    with Project.open(project, read_only=True) as p:
        prompts = p.prompts.list(obj.id, 0)
        assert [(pr.kind, pr.positive) for pr in prompts] == [
            ("point", True),
            ("box", True),
            ("point", False),
        ]
        assert prompts[1].coords == (100.0, 60.0, 300.0, 220.0)
        assert np.array_equal(decode_rle(p.masks.get(obj.id, 0).rle), refined.mask)
        assert p.objects.get(obj.id).label_id == p.labels.get("vehicle").id


def test_bad_input_changes_nothing(project, random_checkpoint, capsys):
    before = _snapshot(project)
    cases = [
        (["1", "--point", "401,5"], "outside the 400x300 frame"),
        (["1", "--frame", "1", "--point", "5,5"], "frame 1 is out of range"),
        (["1"], "at least one --point or a --box"),
        (["9", "--point", "5,5"], "9"),
    ]
    for args, message in cases:
        capsys.readouterr()
        assert _segment(project, random_checkpoint, *args) == 1
        err = capsys.readouterr().err
        assert err.startswith("videoseg: error:") and message in err
    with pytest.raises(SystemExit):
        main(["segment", str(project), "1", "--point", "5;5"])
    assert _snapshot(project) == before


def test_a_missing_model_says_how_to_get_it_and_changes_nothing(project, models_dir, capsys):
    before = _snapshot(project)
    args = ["segment", str(project), "1", "--object", "new", "--label", "new", "--point", "5,5"]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "videoseg models download tiny" in err
    assert str(models_dir / "sam2.1_hiera_tiny.pt") in err
    assert _snapshot(project) == before


def test_models_list(models_dir, capsys):
    assert main(["models", "list"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"models folder: {models_dir}"
    assert [line.split("\t")[:3] + line.split("\t")[-1:] for line in out[2:]] == [
        ["tiny", "148.8 MiB", "no", "sam2.1"],
        ["small", "175.9 MiB", "no", "sam2.1"],
        ["base_plus", "308.6 MiB", "no", "sam2.1"],
        ["large", "856.5 MiB", "no", "sam2.1"],
        ["sam3", "3290.2 MiB", "no", "sam3"],
    ]
    assert main(["models", "list", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["models"][0]["path"] == str(models_dir / "sam2.1_hiera_tiny.pt")


def test_models_download_shows_progress_and_verifies(
    models_dir, random_checkpoint, monkeypatch, capsys
):
    server = FileServer()
    try:
        server.files["sam2.1_hiera_tiny.pt"] = random_checkpoint
        spec = replace(
            registry.OFFICIAL_MODELS["tiny"],
            url=server.url("sam2.1_hiera_tiny.pt"),
            size_bytes=random_checkpoint.stat().st_size,
            sha256=hashlib.sha256(random_checkpoint.read_bytes()).hexdigest(),
        )
        monkeypatch.setitem(registry.OFFICIAL_MODELS, "tiny", spec)
        assert main(["models", "download", "tiny"]) == 0
    finally:
        server.close()
    captured = capsys.readouterr()
    assert "downloading sam2.1_hiera_tiny.pt:" in captured.err and "100.0%" in captured.err
    assert f"saved to {models_dir / 'sam2.1_hiera_tiny.pt'}" in captured.out
    assert main(["models", "download", "tiny"]) == 0
    assert "already downloaded" in capsys.readouterr().out
    assert main(["models", "list"]) == 0
    assert "tiny\t" in capsys.readouterr().out.splitlines()[2]


def test_models_download_offline_and_unknown(models_dir, monkeypatch, capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/sam2.1_hiera_tiny.pt"
    monkeypatch.setitem(
        registry.OFFICIAL_MODELS, "tiny", replace(registry.OFFICIAL_MODELS["tiny"], url=url)
    )
    assert main(["models", "download", "tiny"]) == 1
    err = capsys.readouterr().err
    assert url in err and str(models_dir.resolve() / "sam2.1_hiera_tiny.pt") in err
    assert main(["models", "download", "tiny", "huge"]) == 1
    assert "unknown model 'huge'" in capsys.readouterr().err


def test_import_then_segment_a_video_frame_with_the_imported_model(
    project, models_dir, random_checkpoint, engine, tmp_path, capsys
):
    assert (
        main(["models", "import", str(random_checkpoint), "--config", "tiny", "--name", "ft"]) == 0
    )
    assert str(models_dir / "ft.pt") in capsys.readouterr().out
    assert main(["models", "list"]) == 0
    assert "ft\t148.8 MiB\tyes (imported)" in capsys.readouterr().out

    args = ["segment", str(project), "2", "--frame", "4", "--point", "60,85", "--model", "ft"]
    assert main([*args, "--image-size", "256", "--device", "cpu", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["model"], report["frame"], report["object"]) == ("ft@256", 4, "object 1")
    expected = engine.image_session().predict("clip4", _frame(project, 2, 4), [Point(60, 85)])
    with Project.open(project, read_only=True) as p:
        mask = p.masks.get(report["object_id"], 4)
        assert np.array_equal(decode_rle(mask.rle), expected.mask)
        assert p.masks.get(report["object_id"], 0) is None

    evil = tmp_path / "evil.pt"
    evil.write_bytes(pickle.dumps({"model": {"w": print}}, protocol=2))
    assert main(["models", "import", str(evil)]) == 1
    err = capsys.readouterr().err
    assert "could run code" in err and "weights_only" not in err  # torch's advice not echoed


def test_sam3_models_are_listed_and_folders_imported(models_dir, sam3_folder, capsys):
    assert main(["models", "import", str(sam3_folder), "--name", "mine"]) == 0
    assert "imported the SAM 3 model folder" in capsys.readouterr().out
    assert main(["models", "list", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)["models"]}
    assert rows["tiny"]["family"] == "sam2.1"
    assert rows["sam3"]["family"] == "sam3" and not rows["sam3"]["downloaded"]
    assert rows["mine"]["downloaded"] and rows["mine"]["video"] and rows["mine"]["imported"]
    assert main(["models", "list"]) == 0
    assert "mine\t21.7 MiB\tyes (imported)" in capsys.readouterr().out
    assert main(["models", "import", str(sam3_folder), "--config", "tiny"]) == 1
    assert "--config is for SAM 2.1" in capsys.readouterr().err


def test_segment_with_the_int8_encoder(project, random_checkpoint, capsys):
    capsys.readouterr()
    assert _segment(project, random_checkpoint, "1", "--object", "int8-car", "--label", "vehicle",
                    "--point", "200,150", "--precision", "int8") == 0  # fmt: skip
    report = json.loads(capsys.readouterr().out)
    assert report["object"] == "int8-car" and report["area"] > 0
    with Project.open(project, read_only=True) as p:
        assert p.masks.get(report["object_id"], 0) is not None
