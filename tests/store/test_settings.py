"""Project settings are checked like typed input, on the way in and on the way out."""

from __future__ import annotations

import sqlite3

import pytest

from videoseg_desktop.core.errors import ProjectError
from videoseg_desktop.store import DB_NAME, Project


@pytest.fixture
def root(tmp_path):
    Project.create(tmp_path / "p", name="Mine").close()
    return tmp_path / "p"


def store_raw(root, key, value) -> None:
    with sqlite3.connect(root / DB_NAME) as conn:
        conn.execute("INSERT OR REPLACE INTO settings VALUES (?, ?)", (key, value))
    conn.close()


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("default_model", "../../../tmp/evil.yaml"),
        ("default_model", "configs/sam2.1/sam2.1_hiera_t.yaml"),
        ("default_model", "/abs/path"),
        ("default_model", "evil.yml"),
        ("default_model", ""),
        ("image_size", "4096"),
        ("image_size", "1e9"),
        ("image_size", "256; rm -rf"),
        ("name", "x" * 5000),
        ("name", "bell\x07"),
    ],
)
def test_bad_stored_values_are_refused_with_one_line_or_replaced(root, key, value):
    store_raw(root, key, value)
    with Project.open(root) as p:
        with pytest.raises(ProjectError, match=f"setting {key}") as err:
            p.settings.get(key)
        assert "\n" not in str(err.value) and len(str(err.value)) < 300
        safe = p.settings.get_or_default(key)
        assert safe == {"default_model": "tiny", "image_size": "auto", "name": ""}[key]
        assert p.settings.all()[key] == safe
        assert p.name in ("p", "Mine")  # the window title falls back to the folder's name
        with pytest.raises(ProjectError):
            p.settings.set(key, value)  # and nobody can store it through us


def test_a_value_of_another_type_is_refused(root):
    store_raw(root, "default_model", b"\x00\x01binary")
    with Project.open(root) as p, pytest.raises(ProjectError, match="must be text"):
        p.settings.get("default_model")


def test_good_values_round_trip(root):
    with Project.open(root) as p:
        p.settings.set("default_model", "my-finetune.v2")
        p.settings.set("image_size", "512")
        p.settings.set("something_else", "any text\nat all")  # unknown keys are not ours
    with Project.open(root, read_only=True) as p:
        assert p.settings.get("default_model") == "my-finetune.v2"
        assert p.settings.get("image_size") == "512"
        assert p.settings.get("something_else") == "any text\nat all"
        assert p.name == "Mine"


def test_the_input_size_is_auto_until_chosen(root):
    with Project.open(root) as p:
        assert p.settings.get("image_size") == "auto"  # 512 on a CPU, 1024 on a GPU at load
        p.settings.set("image_size", "auto")
        with pytest.raises(ProjectError, match="auto, 256, 512, 1024"):
            p.settings.set("image_size", "Auto")
