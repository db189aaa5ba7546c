"""The export commands of `videoseg`: export, import-annotations, eval; and their errors."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile

import numpy as np
import pytest
from PIL import Image

from tests.helpers.video import moving_square_frames, write_video
from videoseg_desktop.cli.main import main
from videoseg_desktop.core.masks import encode_rle
from videoseg_desktop.core.records import MaskSource
from videoseg_desktop.store import MaskWrite, Project


def _mask(h, w, x0, y0, size):
    m = np.zeros((h, w), bool)
    m[y0 : y0 + size, x0 : x0 + size] = True
    m[y0 + 3 : y0 + 6, x0 + 3 : x0 + 6] = False  # a hole
    return m


@pytest.fixture
def project_dir(tmp_path):
    """A project with one annotated image (cat) and one tracked video (car), closed again."""
    img = tmp_path / "photo.png"
    Image.fromarray(np.full((30, 40, 3), 128, np.uint8)).save(img)
    video = write_video(moving_square_frames(6, 64, 48), tmp_path / "clip.mp4")
    with Project.create(tmp_path / "proj") as project:
        image_item, video_item = project.import_media([img, video]).added
        cat, car = project.labels.add("cat"), project.labels.add("car")
        obj = project.objects.add(image_item.id, cat.id)
        project.masks.put(obj.id, 0, encode_rle(_mask(30, 40, 5, 5, 12)), MaskSource.CLICKED)
        track = project.objects.add(video_item.id, car.id)
        project.masks.put_many(
            MaskWrite(
                track.id, f, encode_rle(_mask(48, 64, 4 + 3 * f, 10, 14)), MaskSource.PROPAGATED
            )
            for f in range(6)
        )
    return tmp_path / "proj"


def _out(capsys) -> tuple[str, str]:
    captured = capsys.readouterr()
    return captured.out, captured.err


def test_help_for_each_command(capsys):
    for command in ("export", "import-annotations", "eval"):
        with pytest.raises(SystemExit) as exit_info:
            main([command, "--help"])
        assert exit_info.value.code == 0
        assert f"usage: videoseg {command}" in capsys.readouterr().out


def test_export_each_format_prints_a_one_line_summary(project_dir, tmp_path, capsys):
    assert main(["export", str(project_dir), "--format", "coco", "--copy-images"]) == 0
    out, _ = _out(capsys)
    assert out.count("\n") == 1 and out.startswith("exported coco: 2 files, 1 image, 0 videos")
    (coco_dir,) = (project_dir / "exports").glob("coco-*")
    assert (coco_dir / "images" / "photo.png").is_file()

    assert (
        main(["export", str(project_dir), "--format", "ytvis", "--out", str(tmp_path / "yt")]) == 0
    )
    out, _ = _out(capsys)
    assert "1 video, 1 object, 6 masks" in out and (tmp_path / "yt" / "annotations.json").is_file()

    assert main(["export", str(project_dir), "--format", "davis", "--zip"]) == 0
    out, _ = _out(capsys)
    (zipped,) = (project_dir / "exports").glob("davis-*.zip")
    assert str(zipped) in out
    with zipfile.ZipFile(zipped) as zf:
        names = zf.namelist()
    assert f"{zipped.stem}/Annotations/480p/clip/00005.png" in names

    argv = ["export", str(project_dir), "--format", "yolo", "--labels", "cat", "--media", "1"]
    assert main(argv) == 0
    out, err = _out(capsys)
    assert "1 image," in out and "holes" in err  # the lossy-polygon warning goes to stderr

    argv = ["export", str(project_dir), "--format", "coco", "--frames-as-images", "--polygons"]
    assert main(argv) == 0
    out, _ = _out(capsys)
    assert "7 images, 1 video, 2 objects, 7 masks" in out


def test_import_annotations_and_eval(project_dir, tmp_path, capsys):
    assert (
        main(["export", str(project_dir), "--format", "ytvis", "--out", str(tmp_path / "yt")]) == 0
    )
    assert (
        main(["export", str(project_dir), "--format", "davis", "--out", str(tmp_path / "dv")]) == 0
    )
    assert (
        main(["export", str(project_dir), "--format", "coco", "--out", str(tmp_path / "co")]) == 0
    )
    capsys.readouterr()
    with Project.open(project_dir) as project:
        files = [project.media_path(m) for m in project.media.list()]
    assert main(["new", str(tmp_path / "fresh")]) == 0
    assert main(["import", str(tmp_path / "fresh"), *map(str, files)]) == 0
    capsys.readouterr()
    fresh = str(tmp_path / "fresh")
    assert main(["import-annotations", fresh, "--format", "coco", str(tmp_path / "co")]) == 0
    out, _ = _out(capsys)
    assert out.strip() == "imported coco: 1 object, 1 mask on 1 image and 0 videos; new labels: cat"
    argv = [
        "import-annotations",
        fresh,
        "--format",
        "davis",
        str(tmp_path / "dv"),
        "--label",
        "car",
    ]
    assert main(argv) == 0
    out, _ = _out(capsys)
    assert "1 object, 6 masks on 0 images and 1 video; new labels: car" in out
    with Project.open(fresh, read_only=True) as project:
        assert project.objects.counts() == {"objects": 2, "masks": 7}

    assert (
        main(["eval", "--pred", str(tmp_path / "yt"), "--gt", str(tmp_path / "dv"), "--json"]) == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert report["mode"] == "videos" and report["summary"]["J&F"] == 1.0
    assert report["objects"][0]["J"] == {"mean": 1.0, "recall": 1.0, "decay": 0.0}
    assert main(["eval", "--pred", str(tmp_path / "co"), "--gt", str(tmp_path / "co")]) == 0
    out, _ = _out(capsys)
    assert "cat" in out and "1.0000" in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["export", "{p}", "--format", "coco", "--labels", "horse"], "no label named 'horse'"),
        (["export", "{p}", "--format", "coco", "--media", "1,x"], "whole numbers"),
        (["export", "{p}", "--format", "coco", "--media", "77"], "no media with id 77"),
        (["export", "{p}", "--format", "davis", "--polygons"], "--polygons applies"),
        (
            ["export", "{p}", "--format", "ytvis", "--frames-as-images"],
            "--frames-as-images applies",
        ),
        (["export", "{t}/nothing", "--format", "coco"], "not a VideoSeg project"),
        (["export", "{p}", "--format", "coco", "--out", "{p}"], "already exists"),
        (["import-annotations", "{p}", "--format", "coco", "{t}/bad.json"], "not valid JSON"),
        (["import-annotations", "{p}", "--format", "davis", "{t}/none"], "not a folder"),
        (["eval", "--pred", "{t}/none", "--gt", "{t}/bad.json"], "does not exist"),
    ],
)
def test_errors_are_one_line_with_exit_1(project_dir, tmp_path, capsys, argv, message):
    (tmp_path / "bad.json").write_text('{"images": [')
    argv = [a.format(p=project_dir, t=tmp_path) for a in argv]
    exports_before = sorted((project_dir / "exports").iterdir())
    assert main(argv) == 1
    out, err = _out(capsys)
    assert out == "" and err.startswith("videoseg: error: ") and message in err
    assert len(err.strip().splitlines()) == 1
    assert sorted((project_dir / "exports").iterdir()) == exports_before


def test_errors_from_a_real_process(project_dir):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "videoseg_desktop.cli.main",
            "export",
            str(project_dir),
            "--format",
            "coco",
            "--labels",
            "horse",
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "videoseg: error: no label named 'horse' in this project (labels: cat, car)"
    ]
    bad_format = subprocess.run(
        [
            sys.executable,
            "-m",
            "videoseg_desktop.cli.main",
            "export",
            str(project_dir),
            "--format",
            "pascal",
        ],
        capture_output=True,
        text=True,
    )
    assert bad_format.returncode == 2 and "invalid choice" in bad_format.stderr
