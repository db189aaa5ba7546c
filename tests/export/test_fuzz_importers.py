"""Fuzzing every annotation importer (COCO, YouTube-VIS, DAVIS, YOLO) and the evaluation: any
input ends in success or one VideoSegError, never another exception or a crash, in bounded
time, and a failed import changes nothing in the project.

Inputs are mostly well-formed files with hostile values in any place (NaN, infinities, huge
numbers, wrong types, odd strings, deep nesting), plus raw bytes and damaged PNGs. The short
"ci" profile runs with every test run; VIDEOSEG_FUZZ=long runs the long one (see conftest.py).
"""

from __future__ import annotations

import contextlib
import io
import json
import struct
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from tests.helpers.video import moving_square_frames, write_video
from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.export import evaluate, import_annotations
from videoseg_desktop.store import Project

SECONDS = 30  # per example, generous for a loaded 2-core machine

# -- values ------------------------------------------------------------------------------------
leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
)
junk = st.recursive(
    leaf,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)


def maybe(strategy):
    """Mostly ``strategy``, sometimes anything at all."""
    return st.one_of(strategy, strategy, strategy, junk)


number = st.one_of(
    st.integers(-5, 80),
    st.floats(-10, 80),
    st.sampled_from([float("nan"), float("inf"), -float("inf"), 1e300, 10**30, -(10**12)]),
)
polygon = st.lists(number, max_size=24)
rle_string = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=140), max_size=30)
segmentation = st.one_of(
    st.lists(polygon, max_size=3),
    st.fixed_dictionaries(
        {
            "size": maybe(st.sampled_from([[24, 32], [240, 320], [24, 33], [0, 0], [10**9, 2]])),
            "counts": maybe(st.one_of(rle_string, st.lists(st.integers(-3, 800), max_size=6))),
        }
    ),
    junk,
)
file_name = st.sampled_from(
    ["pic.png", "pic.jpg", "clip/00000.jpg", "../pic.png", "/abs/pic.png", "C:\\pic.png", "",
     "p\udcffic.png", "pic\x00.png", "x" * 2000, "dir\\..\\pic.png"]
)  # fmt: skip
size = st.sampled_from([24, 32, 240, 320, 0, -1, 10**9, 2**63])


# -- files -------------------------------------------------------------------------------------
@st.composite
def coco_files(draw) -> str:
    images = draw(
        maybe(
            st.lists(
                st.fixed_dictionaries(
                    {
                        "id": maybe(st.integers(1, 3)),
                        "file_name": maybe(file_name),
                        "width": maybe(size),
                        "height": maybe(size),
                    }
                ),
                max_size=3,
            )
        )
    )
    annotations = draw(
        maybe(
            st.lists(
                st.fixed_dictionaries(
                    {
                        "id": maybe(st.integers(1, 9)),
                        "image_id": maybe(st.integers(1, 3)),
                        "category_id": maybe(st.integers(1, 3)),
                        "segmentation": segmentation,
                    }
                ),
                max_size=5,
            )
        )
    )
    categories = draw(
        maybe(
            st.lists(
                st.fixed_dictionaries(
                    {"id": maybe(st.integers(1, 3)), "name": maybe(st.text(max_size=8))}
                ),
                max_size=3,
            )
        )
    )
    data = draw(
        maybe(st.just({"images": images, "annotations": annotations, "categories": categories}))
    )
    return json.dumps(data, allow_nan=True)


@st.composite
def ytvis_files(draw) -> str:
    videos = draw(
        maybe(
            st.lists(
                st.fixed_dictionaries(
                    {
                        "id": maybe(st.integers(1, 2)),
                        "width": maybe(size),
                        "height": maybe(size),
                        "length": maybe(st.integers(-1, 8)),
                        "file_names": maybe(st.lists(file_name, max_size=8)),
                    }
                ),
                max_size=2,
            )
        )
    )
    annotations = draw(
        maybe(
            st.lists(
                st.fixed_dictionaries(
                    {
                        "id": maybe(st.integers(1, 4)),
                        "video_id": maybe(st.integers(1, 2)),
                        "category_id": maybe(st.integers(1, 2)),
                        "segmentations": maybe(
                            st.lists(st.one_of(st.none(), segmentation), max_size=8)
                        ),
                    }
                ),
                max_size=3,
            )
        )
    )
    categories = [{"id": 1, "name": "square"}, {"id": 2, "name": "other"}]
    return json.dumps(
        {"videos": videos, "annotations": annotations, "categories": categories}, allow_nan=True
    )


def _png_bytes(draw) -> bytes:
    kind = draw(st.sampled_from(["valid", "header", "bytes", "truncated"]))
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    width, height = draw(st.sampled_from([(32, 24), (320, 240), (1, 1), (7, 3)]))
    if kind == "header":
        width = draw(st.sampled_from([width, 0, 2**31 - 1, 100_000]))
        height = draw(st.sampled_from([height, 0, 2**31 - 1, 100_000]))
        ihdr = struct.pack(
            ">IIBBBBB", width, height, 8, draw(st.sampled_from([0, 2, 3, 6])), 0, 0, 0
        )
        body = b"IHDR" + ihdr
        chunk = struct.pack(">I", len(ihdr)) + body + struct.pack(">I", zlib.crc32(body))
        return b"\x89PNG\r\n\x1a\n" + chunk + draw(st.binary(max_size=64))
    mode = draw(st.sampled_from(["P", "L", "1", "RGB", "I;16", "RGBA"]))
    values = draw(st.lists(st.integers(0, 255), min_size=1, max_size=4))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    ids = rng.choice(values, size=(height, width)).astype(np.uint8)
    image = Image.fromarray(ids, "L").convert(mode) if mode != "P" else Image.fromarray(ids, "P")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    data = buffer.getvalue()
    if kind == "truncated":
        data = data[: draw(st.integers(8, max(8, len(data) - 1)))]
    return data


@st.composite
def davis_folders(draw) -> list[tuple[str, bytes]]:
    names = draw(
        st.lists(st.sampled_from(["00000", "00001", "00003", "x"]), max_size=3, unique=True)
    )
    return [(f"{n}.png", _png_bytes(draw)) for n in names] or [("00000.png", b"")]


yolo_token = st.one_of(
    st.sampled_from(["0", "1", "-1", "99999999999999999999", "nan", "inf", "-inf", "1e309"]),
    st.floats(-0.5, 1.5).map(lambda v: f"{v:.4f}"),
    st.text(alphabet="0123456789.-e", min_size=1, max_size=6),
)
yolo_line = st.lists(yolo_token, max_size=16).map(" ".join)
data_yaml = st.one_of(
    st.just("names: [square, other]\n"),
    st.just("names: {0: square, 1: other}\n"),
    st.just("names: {0: square, 5: other}\n"),
    st.just("names: [[a], 1]\n"),
    st.just("names: &a [*a]\n"),
    st.just("names: !!python/object/apply:os.getcwd []\n"),
    st.text(max_size=40),
)


# -- the project -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def project(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    Image.fromarray(np.full((24, 32, 3), 40, np.uint8)).save(folder / "pic.png")
    write_video(moving_square_frames(8), folder / "clip.mp4", gop=4)
    project = Project.create(folder / "proj")
    project.import_media([folder / "pic.png", folder / "clip.mp4"])
    project.work = folder
    yield project
    project.close()


def state(project) -> tuple:
    counts = project.objects.counts()
    return counts["objects"], counts["masks"], len(project.labels.list())


def attempt(project, fmt: str, path: Path) -> None:
    """Import and evaluate ``path``: a result or one VideoSegError, in bounded time."""
    before = state(project)
    start = time.perf_counter()
    try:
        import_annotations(project, fmt, path)
    except VideoSegError as exc:
        assert "\n" not in str(exc).strip(), str(exc)
        assert state(project) == before  # a failed import changes nothing
    if fmt != "yolo":
        with contextlib.suppress(VideoSegError):
            evaluate(path, path, pred_format=fmt, gt_format=fmt)
    assert time.perf_counter() - start < SECONDS


@given(text=coco_files())
def test_fuzz_coco(project, text):
    path = project.work / "coco.json"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    attempt(project, "coco", path)


@given(text=ytvis_files())
def test_fuzz_ytvis(project, text):
    path = project.work / "ytvis.json"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    attempt(project, "ytvis", path)


@given(data=st.binary(max_size=300))
def test_fuzz_raw_json_bytes(project, data):
    path = project.work / "raw.json"
    path.write_bytes(data)
    attempt(project, "coco", path)
    attempt(project, "ytvis", path)


@given(files=davis_folders(), with_frames=st.booleans())
def test_fuzz_davis(project, files, with_frames):
    import shutil

    root = project.work / "davis"
    shutil.rmtree(root, ignore_errors=True)
    seq = root / "Annotations" / "480p" / "clip"
    seq.mkdir(parents=True)
    for name, data in files:
        (seq / name).write_bytes(data)
    if with_frames:
        frames = root / "JPEGImages" / "480p" / "clip"
        frames.mkdir(parents=True)
        for n in range(8):
            (frames / f"{n:05d}.jpg").write_bytes(b"")
    attempt(project, "davis", root)


@given(yaml_text=data_yaml, lines=st.lists(yolo_line, max_size=6))
def test_fuzz_yolo(project, yaml_text, lines):
    import shutil

    root = project.work / "yolo"
    shutil.rmtree(root, ignore_errors=True)
    (root / "labels").mkdir(parents=True)
    (root / "data.yaml").write_text(yaml_text, encoding="utf-8", errors="surrogatepass")
    (root / "labels" / "pic.txt").write_text("\n".join(lines), encoding="utf-8")
    attempt(project, "yolo", root)
