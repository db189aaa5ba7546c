import zipfile

import pytest

from tests.export.conftest import files_under
from videoseg_desktop.core.errors import ExportError, VideoSegError
from videoseg_desktop.export.writer import (
    ExportTarget,
    check_relative_name,
    safe_join,
    unique_name,
    write_json_streaming,
)


@pytest.mark.parametrize(
    "name",
    [
        "../evil.jpg",
        "a/../../evil.jpg",
        "/etc/passwd",
        "C:\\x.jpg",
        "c:/x.jpg",
        "..\\x.jpg",
        "",
        " ",
    ],
)
def test_unsafe_names_are_refused(name, tmp_path):
    with pytest.raises(ExportError):
        safe_join(tmp_path, name)


def test_safe_names_are_normalised(tmp_path):
    assert check_relative_name("a\\b/./c.jpg") == "a/b/c.jpg"
    assert safe_join(tmp_path, "x/y.png") == tmp_path / "x" / "y.png"
    assert issubclass(ExportError, VideoSegError)


def test_unique_names_ignore_case():
    taken: set[str] = set()
    assert [unique_name(taken, n) for n in ("a.jpg", "A.jpg", "a.jpg")] == [
        "a.jpg",
        "A-2.jpg",
        "a-3.jpg",
    ]


def test_target_appears_only_when_complete(tmp_path):
    with ExportTarget(tmp_path, "coco") as target:
        target.file("sub/a.txt").write_text("x")
        assert target.dir.name.startswith(".") and not target.final.exists()
    assert target.final.name.startswith("coco-")
    assert files_under(tmp_path) == {
        target.final.name,
        f"{target.final.name}/sub",
        f"{target.final.name}/sub/a.txt",
    }


def test_failed_export_leaves_nothing(tmp_path):
    with pytest.raises(RuntimeError), ExportTarget(tmp_path, "coco") as target:
        target.file("a.txt").write_text("x")
        raise RuntimeError("boom")
    assert files_under(tmp_path) == set()


def test_two_exports_in_one_second_get_distinct_folders(tmp_path):
    with ExportTarget(tmp_path, "davis") as first:
        pass
    with ExportTarget(tmp_path, "davis") as second:
        pass
    assert first.final != second.final and first.final.is_dir() and second.final.is_dir()


def test_zip_output_holds_the_folder(tmp_path):
    with ExportTarget(tmp_path, "yolo", out=tmp_path / "out" / "ds", zip_output=True) as target:
        target.file("labels/a.txt").write_text("0 0.1 0.1 0.2 0.1 0.2 0.2\n")
        target.file("images/a.jpg").write_bytes(b"\xff\xd8")
    assert target.final == tmp_path / "out" / "ds.zip"
    with zipfile.ZipFile(target.final) as zf:
        assert sorted(zf.namelist()) == ["ds/images/a.jpg", "ds/labels/a.txt"]
    assert files_under(tmp_path / "out") == {"ds.zip"}


def test_out_must_be_new_or_empty(tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("keep me")
    with pytest.raises(ExportError, match="already exists"):
        ExportTarget(tmp_path, "coco", out=tmp_path / "full")
    (tmp_path / "empty").mkdir()
    with ExportTarget(tmp_path, "coco", out=tmp_path / "empty") as target:
        target.file("a.json").write_text("{}")
    assert (tmp_path / "empty" / "a.json").is_file()
    assert (tmp_path / "full" / "x").read_text() == "keep me"


def test_files_cannot_escape_the_export(tmp_path):
    with pytest.raises(ExportError), ExportTarget(tmp_path / "exports", "coco") as target:
        target.file("../escape.txt").write_text("x")
    assert not (tmp_path / "escape.txt").exists()
    assert files_under(tmp_path / "exports") == set()


def test_streaming_json_is_valid(tmp_path):
    import json

    path = tmp_path / "a.json"
    with open(path, "w") as fh:
        write_json_streaming(
            fh, [("a", 1), ("items", iter([{"x": 1}, {"y": [2]}])), ("empty", iter([]))]
        )
    assert json.loads(path.read_text()) == {"a": 1, "items": [{"x": 1}, {"y": [2]}], "empty": []}
