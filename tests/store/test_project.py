import subprocess
import sys
import textwrap

import pytest

from videoseg_desktop.core.errors import ProjectError, ProjectLockedError
from videoseg_desktop.store import DB_NAME, Project


def test_create_makes_the_folder_layout(tmp_path):
    with Project.create(tmp_path / "My Project", name="Birds") as project:
        assert project.name == "Birds"
        for sub in ("media", "cache", "exports"):
            assert (project.root / sub).is_dir()
        assert (project.root / DB_NAME).is_file()


def test_create_refuses_an_existing_project(tmp_path):
    Project.create(tmp_path / "p").close()
    with pytest.raises(ProjectError, match="already holds a project"):
        Project.create(tmp_path / "p")


def test_open_from_folder_or_database_file(tmp_path):
    Project.create(tmp_path / "p").close()
    for target in (tmp_path / "p", tmp_path / "p" / DB_NAME):
        with Project.open(target) as project:
            assert project.root == (tmp_path / "p").absolute()


def test_open_non_project_is_a_clear_error(tmp_path):
    with pytest.raises(ProjectError, match="is not a VideoSeg project"):
        Project.open(tmp_path)


def test_second_writer_is_refused_but_read_only_works(tmp_path):
    with Project.create(tmp_path / "p") as project:
        project.labels.add("cat")
        with pytest.raises(ProjectLockedError, match="already open for writing"):
            Project.open(tmp_path / "p")
        with Project.open(tmp_path / "p", read_only=True) as viewer:
            assert [lb.name for lb in viewer.labels.list()] == ["cat"]
            with pytest.raises(ProjectError, match="read-only"):
                viewer.labels.add("dog")
    Project.open(tmp_path / "p").close()  # free again once closed


def test_lock_holds_against_another_process(tmp_path):
    Project.create(tmp_path / "p").close()
    holder = textwrap.dedent(
        f"""
        import sys, time
        from videoseg_desktop.store import Project
        p = Project.open({str(tmp_path / "p")!r})
        print("open", flush=True)
        sys.stdin.readline()
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", holder], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout.readline().strip() == "open"
        with pytest.raises(ProjectLockedError, match=f"pid {proc.pid}"):
            Project.open(tmp_path / "p")
    finally:
        proc.communicate("\n", timeout=30)
    Project.open(tmp_path / "p").close()  # a closed (or crashed) holder frees the lock


def test_settings_and_ui_state_persist(tmp_path):
    with Project.create(tmp_path / "p") as project:
        assert project.settings.get("default_model") == "tiny"
        project.settings.set("image_size", "512")
        project.ui_state.set("last_media", "7")
    with Project.open(tmp_path / "p") as project:
        assert project.settings.get("image_size") == "512"
        assert project.ui_state.get("last_media") == "7"
