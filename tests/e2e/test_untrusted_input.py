"""A project, a config name, a checkpoint or an annotation file from someone else: whatever it
holds, it never runs code, never reads outside the project, and never crashes `videoseg`.

Each attack is made the way an attacker would (the database edited with plain sqlite3, files
written by hand); each must end in one line on stderr, exit 1, no marker file created and no
byte of the secret file in any export.
"""

from __future__ import annotations

import json
import os
import pickle
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.helpers.video import moving_square_frames, write_video
from videoseg_desktop.cli.main import main
from videoseg_desktop.inference import registry
from videoseg_desktop.store import DB_NAME, Project

SECRET = b"top secret: the colleague's ssh key\n"


@pytest.fixture(autouse=True)
def models_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "models"
    folder.mkdir()
    monkeypatch.setenv(registry.MODELS_DIR_ENV, str(folder))
    return folder


@pytest.fixture
def marker(tmp_path) -> Path:
    return tmp_path / "attack" / "MARKER"


@pytest.fixture
def evil_config(tmp_path, marker) -> Path:
    """A Hydra config that runs code when instantiated: torch.load of a pickle that touches the
    marker (Hydra's own block-list stops builtins.exec, not this)."""
    folder = marker.parent
    folder.mkdir(exist_ok=True)

    class Touch:
        def __reduce__(self):
            return (Path.touch, (marker,))

    (folder / "evil.pkl").write_bytes(pickle.dumps(Touch()))
    config = folder / "evil.yaml"
    config.write_text(
        "# @package _global_\n"
        "model:\n"
        "  _target_: sam2.modeling.sam2_base.SAM2Base\n"
        "  image_encoder:\n"
        "    _target_: torch.load\n"
        f"    f: {folder / 'evil.pkl'}\n"
        "    weights_only: false\n"
    )
    return config


def config_name_for(config: Path) -> str:
    """How an attacker names a file to Hydra: relative to sam2's config root."""
    import importlib.util

    root = Path(importlib.util.find_spec("sam2").origin).parent
    return os.path.relpath(config, root)


@pytest.fixture
def project(tmp_path) -> Path:
    """Media 1: a 64x48 PNG; media 2: a 6-frame video. A cat object with a mask on media 1."""
    Image.fromarray(np.full((48, 64, 3), 90, np.uint8)).save(tmp_path / "photo.png")
    write_video(moving_square_frames(6), tmp_path / "clip.mp4", gop=3)
    folder = tmp_path / "proj"
    with Project.create(folder) as p:
        p.import_media([tmp_path / "photo.png", tmp_path / "clip.mp4"])
        from videoseg_desktop.core.masks import encode_rle

        obj = p.objects.add(1, p.labels.add("cat").id)
        mask = np.zeros((48, 64), bool)
        mask[10:30, 10:40] = True
        p.masks.put(obj.id, 0, encode_rle(mask), "clicked")
    (tmp_path / "secret.txt").write_bytes(SECRET)
    return folder


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.startswith("videoseg: error:")]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def sql(project: Path, statement: str, params=()) -> None:
    with sqlite3.connect(project / DB_NAME) as conn:
        conn.execute(statement, params)
    conn.close()


def no_secret_anywhere(project: Path) -> None:
    for path in project.rglob("*"):
        if path.is_file() and not path.is_symlink():
            assert SECRET not in path.read_bytes(), path


# -- 1. no code from data ------------------------------------------------------------------
def test_the_crafted_config_really_runs_code_when_hydra_gets_it(evil_config, marker):
    """The control: what every test below stops is a real attack on sam2's own builder."""
    from sam2.build_sam import build_sam2_video_predictor

    with pytest.raises(Exception):  # noqa: B017 - torch.load fails after the pickle ran
        build_sam2_video_predictor(config_name_for(evil_config), None, device="cpu")
    assert marker.exists()


def test_a_projects_default_model_cannot_name_a_config(project, evil_config, marker, capsys):
    sql(
        project,
        "INSERT OR REPLACE INTO settings VALUES ('default_model', ?)",
        (config_name_for(evil_config),),
    )
    assert main(["segment", str(project), "1", "--point", "5,5", "--device", "cpu"]) == 1
    line = one_error_line(capsys)
    assert "default_model" in line and "--model" in line
    assert main(["track", str(project), "2", "--device", "cpu"]) == 1
    assert not marker.exists()


@pytest.mark.parametrize("how", ["path", "absolute", "official-looking"])
def test_model_names_on_the_command_line_are_never_config_paths(
    project, evil_config, marker, capsys, how
):
    name = {
        "path": config_name_for(evil_config),
        "absolute": str(evil_config),
        "official-looking": "configs/sam2.1/../../" + config_name_for(evil_config),
    }[how]
    assert main(["segment", str(project), "1", "--point", "5,5", "--model", name]) == 1
    assert "not a model name" in one_error_line(capsys)
    assert not marker.exists()


def test_models_import_refuses_a_config_path(tmp_path, evil_config, marker, capsys):
    checkpoint = tmp_path / "ft.pt"
    checkpoint.write_bytes(b"not even read")
    argv = ["models", "import", str(checkpoint), "--config", config_name_for(evil_config)]
    assert main(argv) == 1
    one_error_line(capsys)
    assert not marker.exists()


def test_an_imported_models_sidecar_cannot_name_a_config(
    project, models_dir, evil_config, marker, capsys
):
    (models_dir / "evil.pt").write_bytes(b"x")
    sidecar = {"name": "evil", "config": config_name_for(evil_config), "source": "x"}
    (models_dir / "evil.json").write_text(json.dumps(sidecar))
    assert main(["segment", str(project), "1", "--point", "5,5", "--model", "evil"]) == 1
    assert "unknown model 'evil'" in one_error_line(capsys)
    assert main(["models", "list"]) == 0 and "evil" not in capsys.readouterr().out
    assert not marker.exists()


def test_a_pickled_checkpoint_never_runs(project, tmp_path, marker, capsys):
    marker.parent.mkdir(exist_ok=True)

    class Touch:
        def __reduce__(self):
            return (Path.touch, (marker,))

    evil = tmp_path / "evil.pt"
    evil.write_bytes(pickle.dumps({"model": {"w": Touch()}}))
    assert main(["models", "import", str(evil)]) == 1
    assert "could run code" in one_error_line(capsys)
    argv = ["segment", str(project), "1", "--point", "5,5", "--checkpoint", str(evil)]
    assert main([*argv, "--device", "cpu", "--image-size", "256"]) == 1
    line = one_error_line(capsys)
    assert "could run code" in line and "weights_only" not in line
    assert not marker.exists()


# -- 2. nothing outside the project leaks into an export ---------------------------------
@pytest.mark.parametrize(
    "attack", ["dot-dot", "absolute-copy", "symlink-out", "linked-wrong-hash", "windows-drive"]
)
@pytest.mark.parametrize("fmt", ["coco", "yolo"])
def test_a_media_row_cannot_pull_a_file_from_outside_into_an_export(
    project, tmp_path, capsys, attack, fmt
):
    secret = tmp_path / "secret.txt"
    if attack == "dot-dot":
        sql(project, "UPDATE media SET path = 'media/../../secret.txt' WHERE id = 1")
    elif attack == "absolute-copy":
        sql(project, "UPDATE media SET path = ? WHERE id = 1", (str(secret),))
    elif attack == "windows-drive":
        sql(project, "UPDATE media SET path = 'C:\\Users\\x\\secret.txt' WHERE id = 1")
    elif attack == "symlink-out":
        (project / "media" / "photo.png").unlink()
        (project / "media" / "photo.png").symlink_to(secret)
    else:
        sql(project, "UPDATE media SET path = ?, linked = 1 WHERE id = 1", (str(secret),))
        sql(project, "UPDATE media SET byte_size = ? WHERE id = 1", (len(SECRET),))
    argv = ["export", str(project), "--format", fmt, "--media", "1"]
    assert main([*argv, *(["--copy-images"] if fmt == "coco" else [])]) == 1
    line = one_error_line(capsys)
    assert "media 1" in line or "photo.png" in line
    no_secret_anywhere(project)
    assert not any((project / "exports").iterdir())  # nothing half-written left
    assert main(["frame", str(project), "1", "0", "--out", str(tmp_path / "f.png")]) == 1
    one_error_line(capsys)
    assert not (tmp_path / "f.png").exists()


def test_a_crafted_hash_cannot_move_cache_files_out_of_the_cache(project, capsys):
    sql(project, "UPDATE media SET sha256 = '../../../../../../../../tmp/escape' WHERE id = 2")
    with Project.open(project) as p:
        item = p.media.get(2)
        assert p.frame_index_path(item).resolve().is_relative_to(p.cache_dir.resolve())
        assert p.thumbnail_path(item).resolve().is_relative_to(p.cache_dir.resolve())


def test_a_corrupt_mask_in_the_database_is_an_error_not_a_crash(project, tmp_path):
    """pycocotools writes past its buffer for RLE runs longer than the mask: a segfault."""
    sql(project, "UPDATE masks SET counts = 'zzzzzzzzzzzzzzzzzzzzzzzzzz1' WHERE frame = 0")
    out = subprocess.run(
        [sys.executable, "-m", "videoseg_desktop.cli.main", "export", str(project)]
        + ["--format", "coco", "--polygons"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 1, out  # not -11 (SIGSEGV)
    assert out.stderr.count("videoseg: error:") == 1 and "Traceback" not in out.stderr
    assert "RLE" in out.stderr


# -- 3. annotation files -------------------------------------------------------------------
def coco(images=None, annotations=None, categories=None, raw: str | None = None) -> str:
    if raw is not None:
        return raw
    data = {
        "images": images or [{"id": 1, "file_name": "photo.png", "width": 64, "height": 48}],
        "annotations": annotations or [],
        "categories": categories or [{"id": 1, "name": "cat"}],
    }
    return json.dumps(data)


def polygon_ann(coords) -> list:
    return [{"id": 1, "image_id": 1, "category_id": 1, "segmentation": [coords]}]


ZIGZAG = [float(v) for i in range(19_000) for v in ((0, 0) if i % 2 else (3999, 2999))]
BAD_COCO = {
    "nan": (coco(raw='{"images": [], "annotations": [NaN], "categories": []}'), "NaN"),
    "infinity-in-polygon": (
        coco(annotations=polygon_ann([1, 1, 1e400, 5, 9, 9])).replace("Infinity", "1e999"),
        "finite",
    ),
    "absurd-coordinates": (coco(annotations=polygon_ann([1, 1, 1e300, 5, 9, 9])), "far outside"),
    "huge-int-coordinate": (coco(annotations=polygon_ann([1, 1, 10**400, 5, 9, 9])), "range"),
    "100k-vertices": (coco(annotations=polygon_ann([1.0, 2.0] * 100_000)), "vertices"),
    "zig-zag": (
        coco(
            images=[{"id": 1, "file_name": "photo.png", "width": 4000, "height": 3000}],
            annotations=polygon_ann(ZIGZAG),
        ),
        "outline",
    ),
    "absurd-size": (
        coco(images=[{"id": 1, "file_name": "photo.png", "width": 10**9, "height": 10**9}]),
        "limit",
    ),
    "deep-json": (coco(raw="[" * 100_000 + "]" * 100_000), "nested"),
    "moderately-deep": (coco(raw='{"images": ' + "[" * 40 + "]" * 40 + "}"), "nested"),
    "bad-rle": (
        coco(
            annotations=[
                {
                    "id": 1,
                    "image_id": 1,
                    "category_id": 1,
                    "segmentation": {"size": [48, 64], "counts": "zzzzzzzz1"},
                }
            ]
        ),
        "RLE",
    ),
    "non-utf8-file-name": (
        coco(images=[{"id": 1, "file_name": "\udcffphoto.png", "width": 64, "height": 48}]),
        "file name",
    ),
    "control-chars-in-category": (coco(categories=[{"id": 1, "name": "c\x1bat"}]), "category"),
    "long-category": (coco(categories=[{"id": 1, "name": "c" * 5000}]), "category"),
}


@pytest.mark.parametrize("case", sorted(BAD_COCO))
def test_a_crafted_coco_file_is_one_line_and_imports_nothing(project, tmp_path, capsys, case):
    text, expected = BAD_COCO[case]
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    with Project.open(project, read_only=True) as p:
        before = p.summary()
    start = time.perf_counter()
    assert main(["import-annotations", str(project), "--format", "coco", str(path)]) == 1
    line = one_error_line(capsys)
    assert time.perf_counter() - start < 20
    assert expected.lower() in line.lower() and "bad.json" in line, line
    with Project.open(project, read_only=True) as p:
        assert p.summary() == before
    assert main(["eval", "--pred", str(path), "--gt", str(path)]) == 1
    one_error_line(capsys)


def _png_header(width: int, height: int) -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))


@pytest.mark.parametrize(
    ("case", "expected"),
    [("bomb", "limit"), ("not-png", "not a readable png"), ("truncated", "png")],
)
def test_a_crafted_davis_folder_is_one_line(project, tmp_path, capsys, case, expected):
    seq = tmp_path / "davis" / "Annotations" / "480p" / "clip"
    seq.mkdir(parents=True)
    if case == "bomb":
        (seq / "00000.png").write_bytes(_png_header(100_000, 100_000))
    elif case == "not-png":
        (seq / "00000.png").write_bytes(b"GIF89a" + b"\0" * 100)
    else:
        (seq / "00000.png").write_bytes(_png_header(64, 48)[:30])
    start = time.perf_counter()
    argv = ["import-annotations", str(project), "--format", "davis", str(tmp_path / "davis")]
    assert main(argv) == 1
    assert expected in one_error_line(capsys).lower()
    assert time.perf_counter() - start < 20
    assert main(["eval", "--pred", str(tmp_path / "davis"), "--gt", str(tmp_path / "davis")]) == 1
    one_error_line(capsys)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("0 " + "0.5 0.5 " * 100_000, "vertices"),
        ("0 0.1 0.1 nan 0.2 0.3 0.3", "0..1"),
        ("0 0.1 0.1 inf 0.2 0.3 0.3", "0..1"),
        ("9" * 5000 + " 0.1 0.1 0.2 0.2 0.3 0.3", "class"),
    ],
    ids=["100k-vertices", "nan", "inf", "huge-class"],
)
def test_a_crafted_yolo_label_file_is_one_line(project, tmp_path, capsys, line, expected):
    root = tmp_path / "yolo"
    (root / "labels").mkdir(parents=True)
    (root / "data.yaml").write_text("names: [cat]\n")
    (root / "labels" / "photo.txt").write_text(line + "\n")
    start = time.perf_counter()
    assert main(["import-annotations", str(project), "--format", "yolo", str(root)]) == 1
    assert expected in one_error_line(capsys)
    assert time.perf_counter() - start < 20
    with Project.open(project, read_only=True) as p:
        assert p.objects.counts()["objects"] == 1


def test_a_yaml_bomb_in_data_yaml_is_refused(project, tmp_path, capsys):
    root = tmp_path / "yolo"
    (root / "labels").mkdir(parents=True)
    (root / "data.yaml").write_text("names: " + "[" * 50_000 + "]" * 50_000 + "\n")
    assert main(["import-annotations", str(project), "--format", "yolo", str(root)]) == 1
    assert "data.yaml" in one_error_line(capsys)
    (root / "data.yaml").write_text("names: !!python/object/apply:os.system ['touch MARKER']\n")
    assert main(["import-annotations", str(project), "--format", "yolo", str(root)]) == 1
    one_error_line(capsys)
    assert not (Path.cwd() / "MARKER").exists()


def test_file_names_that_are_not_utf8_import_and_print(tmp_path, capfd):
    """A file name of Latin-1 bytes (a camera, an old zip) becomes U+FFFD in the project."""
    raw = os.fsencode(str(tmp_path)) + b"/caf\xe9.png"
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(raw.decode("utf-8", "surrogateescape"))
    assert main(["new", str(tmp_path / "p")]) == 0
    assert main(["import", str(tmp_path / "p"), os.fsdecode(raw)]) == 0
    assert main(["info", str(tmp_path / "p")]) == 0
    assert "caf\ufffd.png" in capfd.readouterr().out
    with Project.open(tmp_path / "p", read_only=True) as p:
        assert p.media.get(1).original_name == "caf\ufffd.png"
