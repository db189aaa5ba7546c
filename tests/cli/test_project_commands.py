"""The project commands of `videoseg`, run as a user would (a subprocess) and in-process."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from tests.helpers.video import moving_square_frames, write_video
from videoseg_desktop.cli.main import main


def run_cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "videoseg_desktop.cli.main", *map(str, args)],
        capture_output=True,
        text=True,
    )


@pytest.fixture
def project_dir(tmp_path):
    assert main(["new", str(tmp_path / "proj"), "--name", "Test"]) == 0
    return tmp_path / "proj"


@pytest.fixture
def media_files(tmp_path):
    img = tmp_path / "photo.png"
    Image.fromarray(np.full((30, 40, 3), 128, np.uint8)).save(img)
    video = write_video(moving_square_frames(20), tmp_path / "clip.mp4", gop=8)
    return img, video


def test_every_command_has_help():
    for cmd in ("new", "import", "labels", "info", "frame"):
        out = run_cli(cmd, "--help")
        assert out.returncode == 0 and "usage: videoseg" in out.stdout


def test_new_import_info_frame(project_dir, media_files, tmp_path, capsys):
    img, video = media_files
    assert main(["import", str(project_dir), str(img), str(video)]) == 0
    capsys.readouterr()
    assert main(["info", str(project_dir), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["name"] == "Test"
    assert [
        (m["name"], m["kind"], m["width"], m["height"], m["frames"]) for m in info["media"]
    ] == [
        ("photo.png", "image", 40, 30, 1),
        ("clip.mp4", "video", 320, 240, 20),
    ]
    assert (project_dir / "media" / "clip.mp4").is_file()
    # `frame` writes the exact decoded frame: its grey stripe names the frame number
    out = tmp_path / "f13.png"
    assert main(["frame", str(project_dir), "2", "13", "--out", str(out)]) == 0
    stripe = np.asarray(Image.open(out))[:6, :, 0].astype(int)
    assert abs(int(np.median(stripe)) - (13 * 37) % 256) <= 6


def test_import_twice_is_detected_and_link_keeps_the_file_in_place(
    project_dir, media_files, capsys
):
    img, video = media_files
    assert main(["import", str(project_dir), str(video), "--link"]) == 0
    assert not (project_dir / "media" / "clip.mp4").exists()
    assert main(["import", str(project_dir), str(video)]) == 0
    assert "same content as media 1" in capsys.readouterr().err


def test_import_can_build_scrub_proxies_at_once(project_dir, tmp_path, capsys):
    from videoseg_desktop.media.scrub_proxy import MIN_FRAMES, media_proxy_dir, open_scrub_proxy
    from videoseg_desktop.store import Project

    long = write_video(moving_square_frames(MIN_FRAMES + 4, 160, 120), tmp_path / "long.mp4")
    short = write_video(moving_square_frames(20), tmp_path / "short.mp4")
    assert main(["import", str(project_dir), str(short)]) == 0
    assert not (project_dir / "cache" / "scrub").exists()  # not asked: the window builds them
    assert main(["import", str(project_dir), str(long), "--scrub-proxies"]) == 0
    assert "long.mp4" in capsys.readouterr().out
    with Project.open(project_dir, read_only=True) as project:
        item = project.media.get(2)
        folder = media_proxy_dir(project.cache_dir, item.id, item.sha256)
        proxy = open_scrub_proxy(folder, item.frame_count)
        assert proxy is not None and proxy.read(30).shape == (120, 160, 3)
        proxy.close()
    assert len(list((project_dir / "cache" / "scrub").iterdir())) == 1  # short: none


def test_labels_commands(project_dir, capsys):
    assert main(["labels", str(project_dir), "add", "cat", "--color", "#112233"]) == 0
    assert main(["labels", str(project_dir), "add", "dog"]) == 0
    assert main(["labels", str(project_dir), "rename", "dog", "puppy"]) == 0
    assert main(["labels", str(project_dir), "recolor", "cat", "#445566"]) == 0
    assert main(["labels", str(project_dir), "remove", "puppy"]) == 0
    capsys.readouterr()
    assert main(["labels", str(project_dir)]) == 0
    assert capsys.readouterr().out.strip() == "cat\t#445566"


@pytest.mark.parametrize(
    "args, message",
    [
        (["info", "{tmp}/nowhere"], "is not a VideoSeg project"),
        (["labels", "{proj}", "remove", "ghost"], "no label named 'ghost'"),
        (["labels", "{proj}", "add", "x", "--color", "red"], "#RRGGBB"),
        (["frame", "{proj}", "99", "0", "--out", "{tmp}/x.png"], "no media with id 99"),
        (["import", "{proj}", "{tmp}/missing.png"], "is not a file"),
        (["new", "{proj}"], "already holds a project"),
    ],
)
def test_user_errors_are_one_line_without_traceback(project_dir, tmp_path, args, message):
    args = [a.format(tmp=tmp_path, proj=project_dir) for a in args]
    out = run_cli(*args)
    assert out.returncode != 0
    assert message in out.stderr
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_bad_file_imports_nothing(project_dir, media_files, tmp_path):
    img, video = media_files
    bad = tmp_path / "notes.mp4"
    bad.write_text("this is not a video")
    out = run_cli("import", project_dir, img, bad)
    assert out.returncode == 1 and "notes.mp4" in out.stderr
    assert sorted(p.name for p in (project_dir / "media").iterdir()) == []
    info = json.loads(run_cli("info", project_dir, "--json").stdout)
    assert info["media"] == []


def test_frame_out_of_range(project_dir, media_files, tmp_path):
    assert main(["import", str(project_dir), str(media_files[1])]) == 0
    out = run_cli("frame", project_dir, 1, 20, "--out", tmp_path / "x.png")
    assert out.returncode == 1 and "out of range" in out.stderr


def test_info_counts_and_a_name_that_is_not_utf8(project_dir, media_files, capsys):
    """`info` reads names with SQLite's C decoder; a crafted non-UTF-8 name makes it read the
    rows again through the guarded decoder (U+FFFD), never fail. Counts equal the store's."""
    import sqlite3

    from videoseg_desktop.core.masks import encode_rle
    from videoseg_desktop.store import Project

    img, video = media_files
    assert main(["import", str(project_dir), str(img), str(video)]) == 0
    with Project.open(project_dir) as project:
        obj = project.objects.add(2, name="o")
        mask = np.zeros((240, 320), bool)
        mask[10:20, 10:30] = True
        project.masks.put_many(
            [(obj.id, f, encode_rle(mask), "propagated", "tiny") for f in (0, 3)]
        )
        expected = {**project.media.counts(), **project.objects.counts()}
        breakdown = project.objects.breakdown()
    capsys.readouterr()
    assert main(["info", str(project_dir), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["counts"] == expected == {
        "media": 2, "annotated": 1, "videos": 1, "images": 1, "objects": 1, "masks": 2,
    }  # fmt: skip
    assert {k: info[k] for k in breakdown} == breakdown
    assert [m["annotated"] for m in info["media"]] == [False, True]
    conn = sqlite3.connect(project_dir / "project.vseg")
    conn.execute("UPDATE media SET original_name = CAST(? AS TEXT) WHERE id = 1", (b"b\xffd.png",))
    conn.commit()
    conn.close()
    assert main(["info", str(project_dir), "--json"]) == 0
    out = capsys.readouterr().out
    info = json.loads(out)
    assert [m["name"] for m in info["media"]] == ["b\ufffdd.png", "clip.mp4"]
    assert json.dumps(info) + "\n" == out  # the media rows are written as json.dumps would
    # Odd values in typed columns (SQLite keeps them) take the generic path, same text.
    conn = sqlite3.connect(project_dir / "project.vseg")
    conn.execute("UPDATE media SET width = 'wide', fps = 29.97 WHERE id = 1")
    conn.execute(
        "UPDATE media SET original_name = 'été \"q\".mp4', fps = 30000.0 / 1001 WHERE id = 2"
    )
    conn.commit()
    conn.close()
    assert main(["info", str(project_dir), "--json"]) == 0
    out = capsys.readouterr().out
    info = json.loads(out)
    assert json.dumps(info) + "\n" == out
    assert [(m["width"], m["fps"], m["name"]) for m in info["media"]] == [
        ("wide", 29.97, "b\ufffdd.png"),
        (320, 30000.0 / 1001, 'été "q".mp4'),
    ]
    assert main(["info", str(project_dir)]) == 0
    assert "b\ufffdd.png" in capsys.readouterr().out
