"""The project database schema and its forward-only migrations.

``PRAGMA user_version`` holds the schema version. Each migration moves the database one version
forward inside one transaction; the file is backed up before the first one runs.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from videoseg_desktop.core.errors import ProjectError, SchemaTooNewError, SchemaUpgradeNeededError

_V1 = """
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE labels (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    color TEXT NOT NULL,
    sort_order INTEGER NOT NULL
);
CREATE TABLE media (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('image', 'video')),
    path TEXT NOT NULL UNIQUE,
    original_name TEXT NOT NULL,
    byte_size INTEGER NOT NULL,
    sha256 TEXT NOT NULL UNIQUE,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    frame_count INTEGER NOT NULL,
    fps REAL,
    duration REAL,
    imported_at TEXT NOT NULL,
    annotated INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE objects (
    id INTEGER PRIMARY KEY,
    media_id INTEGER NOT NULL REFERENCES media(id) ON DELETE CASCADE,
    label_id INTEGER REFERENCES labels(id) ON DELETE SET NULL,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (media_id, name)
);
CREATE INDEX objects_by_media ON objects(media_id);
CREATE TABLE prompts (
    id INTEGER PRIMARY KEY,
    object_id INTEGER NOT NULL REFERENCES objects(id) ON DELETE CASCADE,
    frame INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('point', 'box')),
    x0 REAL NOT NULL, y0 REAL NOT NULL, x1 REAL, y1 REAL,
    positive INTEGER NOT NULL,
    sort_order INTEGER NOT NULL
);
CREATE INDEX prompts_by_object_frame ON prompts(object_id, frame);
CREATE TABLE masks (
    object_id INTEGER NOT NULL REFERENCES objects(id) ON DELETE CASCADE,
    frame INTEGER NOT NULL,
    height INTEGER NOT NULL,
    width INTEGER NOT NULL,
    counts TEXT NOT NULL,
    area INTEGER NOT NULL,
    bbox_x REAL NOT NULL, bbox_y REAL NOT NULL, bbox_w REAL NOT NULL, bbox_h REAL NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('clicked', 'propagated', 'edited', 'imported')),
    model TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (object_id, frame)
);
"""

# v2: files imported with --link are marked explicitly (v1 told them apart by an absolute path),
# and the window's state (last media, selected label) survives a restart.
_V2 = """
ALTER TABLE media ADD COLUMN linked INTEGER NOT NULL DEFAULT 0;
UPDATE media SET linked = 1 WHERE path LIKE '/%' OR path LIKE '_:%' OR path LIKE '\\\\%';
CREATE TABLE ui_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

# v3: the model's own confidence with every mask it makes (``score``), masks found automatically
# (source 'auto': concept pre-labels), objects that are suggestions awaiting review or conflicts
# from a merge (``state``), and who made each object, prompt and mask (``author``). SQLite cannot
# change a CHECK constraint in place, so masks is rebuilt.
_V3 = """
CREATE TABLE masks_v3 (
    object_id INTEGER NOT NULL REFERENCES objects(id) ON DELETE CASCADE,
    frame INTEGER NOT NULL,
    height INTEGER NOT NULL,
    width INTEGER NOT NULL,
    counts TEXT NOT NULL,
    area INTEGER NOT NULL,
    bbox_x REAL NOT NULL, bbox_y REAL NOT NULL, bbox_w REAL NOT NULL, bbox_h REAL NOT NULL,
    source TEXT NOT NULL
        CHECK (source IN ('clicked', 'propagated', 'edited', 'imported', 'auto')),
    model TEXT,
    score REAL,
    author TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (object_id, frame)
);
INSERT INTO masks_v3 (object_id, frame, height, width, counts, area, bbox_x, bbox_y, bbox_w,
    bbox_h, source, model, updated_at)
    SELECT object_id, frame, height, width, counts, area, bbox_x, bbox_y, bbox_w, bbox_h, source,
    model, updated_at FROM masks;
DROP TABLE masks;
ALTER TABLE masks_v3 RENAME TO masks;
ALTER TABLE objects ADD COLUMN state TEXT NOT NULL DEFAULT 'normal'
    CHECK (state IN ('normal', 'suggested', 'conflict'));
ALTER TABLE objects ADD COLUMN author TEXT;
ALTER TABLE prompts ADD COLUMN author TEXT;
ALTER TABLE prompts ADD COLUMN created_at TEXT;
"""

# Review and quality (ADR 0009): per-media workflow state, per-mask acceptance, the review
# flags kept up to date by the store (one row per flagged mask, found by media in queue order),
# the reviewers' decisions (for statistics), attribute schemas and values per label, effort
# counters per object and active time per media item and user. Existing annotated media start
# "in progress"; flags are computed on first use (the thresholds' signature is not set yet).
_V_REVIEW = """
ALTER TABLE media ADD COLUMN status TEXT NOT NULL DEFAULT 'todo'
    CHECK (status IN ('todo', 'in-progress', 'done', 'reviewed', 'needs-changes'));
ALTER TABLE media ADD COLUMN status_comment TEXT;
ALTER TABLE media ADD COLUMN status_by TEXT;
ALTER TABLE media ADD COLUMN status_at TEXT;
UPDATE media SET status = 'in-progress' WHERE annotated = 1;
CREATE INDEX media_by_status ON media(status);
ALTER TABLE masks ADD COLUMN accepted_by TEXT;
ALTER TABLE masks ADD COLUMN accepted_at TEXT;
ALTER TABLE objects ADD COLUMN clicks INTEGER NOT NULL DEFAULT 0;
ALTER TABLE objects ADD COLUMN corrections INTEGER NOT NULL DEFAULT 0;
CREATE TABLE review_flags (
    object_id INTEGER NOT NULL REFERENCES objects(id) ON DELETE CASCADE,
    frame INTEGER NOT NULL,
    media_id INTEGER NOT NULL,
    reasons INTEGER NOT NULL,
    score REAL,
    detail TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (object_id, frame)
) WITHOUT ROWID;
CREATE INDEX review_flags_by_media ON review_flags(media_id, object_id, frame);
CREATE TABLE review_decisions (
    id INTEGER PRIMARY KEY,
    media_id INTEGER NOT NULL REFERENCES media(id) ON DELETE CASCADE,
    object_id INTEGER REFERENCES objects(id) ON DELETE SET NULL,
    object_name TEXT,
    frame_start INTEGER,
    frame_end INTEGER,
    decision TEXT NOT NULL
        CHECK (decision IN ('accept', 'reject', 'reviewed', 'needs-changes')),
    comment TEXT,
    mask_source TEXT,
    mask_author TEXT,
    masks INTEGER NOT NULL DEFAULT 0,
    author TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX review_decisions_by_media ON review_decisions(media_id);
CREATE INDEX review_decisions_by_object ON review_decisions(object_id);
CREATE TABLE attribute_specs (
    id INTEGER PRIMARY KEY,
    label_id INTEGER NOT NULL REFERENCES labels(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('bool', 'choice', 'number', 'text')),
    choices TEXT,
    min_value REAL,
    max_value REAL,
    per_frame INTEGER NOT NULL DEFAULT 0,
    sort_order INTEGER NOT NULL,
    author TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (label_id, name)
);
CREATE TABLE attribute_values (
    id INTEGER PRIMARY KEY,
    object_id INTEGER NOT NULL REFERENCES objects(id) ON DELETE CASCADE,
    spec_id INTEGER NOT NULL REFERENCES attribute_specs(id) ON DELETE CASCADE,
    frame_start INTEGER,
    frame_end INTEGER,
    value TEXT NOT NULL,
    author TEXT,
    updated_at TEXT NOT NULL
);
CREATE INDEX attribute_values_by_object ON attribute_values(object_id, spec_id, frame_start);
CREATE INDEX attribute_values_by_spec ON attribute_values(spec_id);
CREATE TABLE effort (
    media_id INTEGER NOT NULL REFERENCES media(id) ON DELETE CASCADE,
    author TEXT NOT NULL,
    active_s REAL NOT NULL DEFAULT 0,
    events INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (media_id, author)
);
"""

# Media changed behind the project's back: the file's modification time when it was imported
# (or last verified against its hash), so a cheap stat on open can flag what changed.
_V_MEDIA_STAT = """
ALTER TABLE media ADD COLUMN mtime_ns INTEGER;
"""

# Pre-labelling runs: one row per (media, concept, model) records that a concept search ran
# there (so a re-run skips it and nothing is suggested twice), and which objects it made (so a
# run interrupted half-way through a video can be redone without duplicates).
_V_PRELABEL = """
CREATE TABLE prelabel_runs (
    id INTEGER PRIMARY KEY,
    media_id INTEGER NOT NULL REFERENCES media(id) ON DELETE CASCADE,
    concept TEXT NOT NULL,
    model TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('running', 'done')),
    frames_done INTEGER NOT NULL DEFAULT 0,
    found INTEGER NOT NULL DEFAULT 0,
    skipped INTEGER NOT NULL DEFAULT 0,
    author TEXT,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    UNIQUE (media_id, concept, model)
);
CREATE TABLE prelabel_objects (
    run_id INTEGER NOT NULL REFERENCES prelabel_runs(id) ON DELETE CASCADE,
    object_id INTEGER NOT NULL REFERENCES objects(id) ON DELETE CASCADE,
    PRIMARY KEY (run_id, object_id)
);
CREATE INDEX prelabel_objects_by_object ON prelabel_objects(object_id);
"""

# Batch runs (`videoseg track --all`, on a Ray cluster or locally): one row per (media, command,
# model) says that the run finished on these inputs (a fingerprint of what it started from), so a
# resumed batch skips it; written in the transaction of the run's last batch of masks.
_V_BATCH_RUNS = """
CREATE TABLE batch_runs (
    media_id INTEGER NOT NULL REFERENCES media(id) ON DELETE CASCADE,
    command TEXT NOT NULL,
    model TEXT NOT NULL,
    inputs TEXT NOT NULL,
    stored INTEGER NOT NULL DEFAULT 0,
    author TEXT,
    finished_at TEXT NOT NULL,
    PRIMARY KEY (media_id, command, model)
);
"""

# Work packages (ADR 0015): the packages split off this project, and per package item (an
# object or a media item's status) which source item it maps to and the fingerprints both sides
# had at the split or the last merge, so a merge tells who changed what since, and merging the
# same package again finds nothing new.
_V_TEAM = """
CREATE TABLE team_packages (
    id TEXT PRIMARY KEY,
    annotator TEXT NOT NULL,
    folder TEXT,
    created_at TEXT NOT NULL,
    created_by TEXT,
    merged_at TEXT,
    merged_by TEXT,
    merges INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE team_items (
    package_id TEXT NOT NULL REFERENCES team_packages(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('object', 'media')),
    package_item INTEGER NOT NULL,
    source_item INTEGER,
    package_fp TEXT,
    source_fp TEXT,
    PRIMARY KEY (package_id, kind, package_item)
) WITHOUT ROWID;
"""

# A million masks (benchmarks/bench_million.py): the media browser's label filter and its
# per-label counts read objects by label; this index answers both without touching the table.
_V_SCALE = """
CREATE INDEX objects_by_label ON objects(label_id, media_id);
"""

# A million masks, part two: the browser's annotated/unannotated filters list ids, and its
# counts count media, from an index (not 200,000 table rows); `videoseg info` and the review
# counts group masks by source and objects by state from indexes (the table scans took
# 0.7-1.3 s each at a million masks).
_V_SCALE_COUNTS = """
CREATE INDEX media_by_annotated ON media(annotated, kind);
CREATE INDEX objects_by_state ON objects(state, media_id);
CREATE INDEX masks_by_source ON masks(source, accepted_at);
"""

MIGRATIONS: list[str] = [
    _V1,
    _V2,
    _V3,
    _V_REVIEW,
    _V_PRELABEL,
    _V_MEDIA_STAT,
    _V_BATCH_RUNS,
    _V_TEAM,
    _V_SCALE,
    _V_SCALE_COUNTS,
]
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def require_current(conn: sqlite3.Connection, db_path: Path) -> None:
    """For read-only opening, where no migration can run."""
    current = schema_version(conn)
    if current > SCHEMA_VERSION:
        raise _too_new(db_path, current)
    if current < SCHEMA_VERSION:
        raise SchemaUpgradeNeededError(
            f"{db_path.parent} needs an upgrade; open it once for writing first"
        )


def _too_new(db_path: Path, current: int) -> SchemaTooNewError:
    return SchemaTooNewError(
        f"{db_path} was written by a newer VideoSeg Desktop (schema {current}, this version "
        f"reads up to {SCHEMA_VERSION}); update the application to open it"
    )


def migrate(conn: sqlite3.Connection, db_path: Path, target: int = SCHEMA_VERSION) -> Path | None:
    """Bring the database to ``target``; return the backup made first, if any migration ran."""
    current = schema_version(conn)
    if current > SCHEMA_VERSION:
        raise _too_new(db_path, current)
    if current >= target:
        return None
    backup = _backup(conn, db_path, current) if current > 0 else None
    for version in range(current, target):
        try:
            conn.execute("BEGIN IMMEDIATE")
            for statement in _statements(MIGRATIONS[version]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute("COMMIT")
        except (sqlite3.Error, ProjectError) as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise ProjectError(
                f"could not upgrade {db_path} to schema {version + 1}: {exc}"
            ) from exc
    return backup


def _statements(script: str) -> list[str]:
    """Split a migration into statements (executescript would commit mid-migration)."""
    parts, buf = [], ""
    for line in script.strip().splitlines():
        buf += line + "\n"
        if sqlite3.complete_statement(buf):
            parts.append(buf.strip())
            buf = ""
    return parts


def _backup(conn: sqlite3.Connection, db_path: Path, version: int) -> Path:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    target = db_path.with_name(f"{db_path.name}.v{version}-{stamp}.bak")
    try:
        with sqlite3.connect(target) as dest:
            conn.backup(dest)
        dest.close()
    except sqlite3.Error as exc:  # a full disk: no upgrade without its backup
        target.unlink(missing_ok=True)
        raise ProjectError(
            f"could not back up {db_path} before upgrading it ({exc}); nothing was changed"
        ) from exc
    return target
