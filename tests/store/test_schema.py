import sqlite3

import pytest

from videoseg_desktop.core.errors import ProjectError, SchemaTooNewError
from videoseg_desktop.store import DB_NAME, Project
from videoseg_desktop.store.schema import MIGRATIONS, SCHEMA_VERSION, _statements


def test_new_project_has_current_schema_wal_and_foreign_keys(tmp_path):
    with Project.create(tmp_path / "p") as project:
        conn = project.db.conn
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"settings", "labels", "media", "objects", "prompts", "masks", "ui_state"} <= tables
        assert project.backup is None  # nothing to back up on a fresh project


def _make_v1_project(root, linked_path):
    """A project exactly as the first schema version wrote it, with one row of each kind."""
    (root / "media").mkdir(parents=True)
    conn = sqlite3.connect(root / DB_NAME)
    for statement in _statements(MIGRATIONS[0]):
        conn.execute(statement)
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO labels VALUES (1, 'cat', '#112233', 0)")
    conn.execute(
        "INSERT INTO media VALUES (1, 'image', 'media/a.png', 'a.png', 10, 'aa', 4, 3, 1, NULL, NULL, 't', 1)"
    )
    conn.execute(
        "INSERT INTO media VALUES (2, 'video', ?, 'b.mp4', 10, 'bb', 4, 3, 9, 30, 0.3, 't', 0)",
        (linked_path,),
    )
    conn.execute("INSERT INTO objects VALUES (1, 1, 1, 'cat 1', 't')")
    conn.execute(
        "INSERT INTO masks VALUES (1, 0, 3, 4, '0<0', 0, 0, 0, 0, 0, 'clicked', 'tiny', 't')"
    )
    conn.commit()
    conn.close()


def test_migration_from_first_version_keeps_data_and_backs_up(tmp_path):
    root = tmp_path / "old"
    _make_v1_project(root, "/data/videos/b.mp4")
    with Project.open(root) as project:
        assert project.db.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        media = {m.id: m for m in project.media.list()}
        assert media[1].linked is False and media[2].linked is True  # the v2 data migration
        assert project.labels.get("cat").color == "#112233"
        old_mask = project.masks.get(1, 0)
        assert old_mask.source.value == "clicked" and old_mask.model == "tiny"
        assert old_mask.score is None and old_mask.author is None  # v3: unknown for old rows
        obj = project.objects.get(1)
        assert obj.state.value == "normal" and obj.author is None
        assert project.backup is not None and project.backup.exists()
    backup = sqlite3.connect(project.backup)
    assert backup.execute("PRAGMA user_version").fetchone()[0] == 1
    assert backup.execute("SELECT count(*) FROM masks").fetchone()[0] == 1


def test_newer_schema_is_refused_and_left_untouched(tmp_path):
    with Project.create(tmp_path / "p"):
        pass
    db = tmp_path / "p" / DB_NAME
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.commit()
    conn.close()
    before = db.read_bytes()
    for read_only in (False, True):
        with pytest.raises(SchemaTooNewError, match="newer VideoSeg Desktop"):
            Project.open(tmp_path / "p", read_only=read_only)
    assert db.read_bytes() == before
    # the failed open released its lock: once the version is fixed, it opens for writing
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    conn.commit()
    conn.close()
    Project.open(tmp_path / "p").close()


def test_damaged_database_gives_clear_error(tmp_path):
    root = tmp_path / "p"
    root.mkdir()
    (root / DB_NAME).write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(ProjectError, match="not a readable project database"):
        Project.open(root)
    assert (root / DB_NAME).read_bytes() == b"this is not sqlite at all" * 100
