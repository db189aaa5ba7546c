"""Media imported inside a work package, brought into the source project when it merges.

A package comes from anyone, so a media item it added is checked before its file is read: the
row must name a copy inside the package's ``media/`` folder (no absolute or linked path, no
``..``, no symbolic link leading out), a regular file of the size the row records, with room
for it here. The file is then imported exactly as a user's import is (``store.importer``: the
same hashing, probing, decoders and limits), which also dedupes: content the project already
has is mapped to that item, not copied twice. A file refused is one line in the report and the
rest of the package merges.

Always a copy, never a link: a linked path in a package names a file on the annotator's disk
(meaningless here) or, crafted, any file the lead can read, which the merge would then pull
into the project. An annotator who linked media imports a copy into the package instead.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath

from videoseg_desktop.core.errors import MediaError, VideoSegError
from videoseg_desktop.store.importer import display_name, import_media
from videoseg_desktop.store.media_guard import MediaGuard
from videoseg_desktop.store.media_repository import MediaRepository
from videoseg_desktop.store.team_checks import status_row
from videoseg_desktop.store.team_package import media_fingerprint

MAX_NAME = 255  # an original name from a package, as stored and shown
SPARE_BYTES = 256 * 1024**2  # a merge never fills the disk to the last byte
_STATUS_COLS = "status, status_comment, status_by, status_at"


class ImportTarget:
    """What the importer needs of a project, over the merge's own connection (the window's
    merge runs on a thread with a second connection, see ``team_split.Detached``)."""

    def __init__(self, project, db) -> None:
        self.root = Path(project.root)
        self.db = db
        self.media = MediaRepository(db)
        self.media_path = project.media_path
        self.frame_index_path = project.frame_index_path
        self.media_guard = MediaGuard(self)
        self.read_only = False

    @property
    def media_dir(self) -> Path:
        return self.root / "media"

    def transaction(self):
        return self.db.transaction()


@dataclass
class MediaOutcome:
    mapping: dict[int, int] = field(default_factory=dict)  # package media id -> source id
    added: int = 0
    matched: int = 0
    refused: list[str] = field(default_factory=list)
    made: list[Path] = field(default_factory=list)  # files written here: removed on rollback

    def discard(self) -> None:
        for path in self.made:
            path.unlink(missing_ok=True)


def package_file(folder: Path, path_text, linked, byte_size) -> Path:
    """The file of a package's media row, if it is a regular file inside the package's media/
    folder of the recorded size; MediaError (one line) otherwise."""
    if linked:
        raise MediaError(
            "it is linked to a file outside the package; import a copy into the package instead"
        )
    text = path_text.replace("\\", "/") if isinstance(path_text, str) else ""
    parts = PurePosixPath(text).parts
    if (
        not text
        or "\0" in text
        or PurePosixPath(text).is_absolute()
        or PureWindowsPath(text).drive
        or len(parts) < 2
        or parts[0] != "media"
        or any(p in ("..", ".", "") for p in parts)
    ):
        raise MediaError("its path leads outside the package's media folder")
    media_root = folder / "media"
    path = folder.joinpath(*parts)
    try:
        if media_root.is_symlink():
            raise MediaError("the package's media folder is a link to elsewhere")
        inside = Path(os.path.realpath(path)).is_relative_to(os.path.realpath(media_root))
        if not inside:
            raise MediaError("its file is a link leading outside the package's media folder")
        st = os.stat(path)
    except FileNotFoundError:
        raise MediaError("its file is missing from the package") from None
    except (OSError, ValueError, RuntimeError) as exc:
        raise MediaError(f"its file cannot be read ({exc.__class__.__name__})") from None
    if not stat.S_ISREG(st.st_mode):
        raise MediaError("its file is not a regular file")
    if type(byte_size) is not int or st.st_size != byte_size:
        raise MediaError("its file changed after it was imported into the package (another size)")
    return path


def bring_media(
    folder: Path,
    target: ImportTarget,
    pkg,
    handed_out: dict[int, int],
    known: dict[tuple[str, int], tuple],
    remember: Callable[[str, int, int | None, str | None, str | None], None],
) -> MediaOutcome:
    """Import the media a package added (those not handed out) and map them to source items.

    ``known`` is the source's record of package items (``team_items``): a media item added and
    merged before maps to the same source item again, unless the package reused its id for
    other content."""
    out = MediaOutcome()
    src = target.db.conn
    rows = pkg.execute(
        "SELECT id, path, linked, byte_size, sha256, original_name FROM media ORDER BY id"
    ).fetchall()
    for pid, path_text, linked, size, sha, original in rows:
        if pid in handed_out:
            continue
        name = display_name(str(original))[:MAX_NAME]
        rec = known.get(("media", pid))
        if rec is not None and rec[0] is not None:
            here = src.execute("SELECT sha256 FROM media WHERE id = ?", (rec[0],)).fetchone()
            if here is None or here[0] == sha:  # merged before (or since deleted here)
                out.mapping[pid] = rec[0]
                continue
        status = pkg.execute(f"SELECT {_STATUS_COLS} FROM media WHERE id = ?", (pid,)).fetchone()
        status_row(status)  # a crafted status refuses the package (team_merge), before any copy
        try:
            file = package_file(folder, path_text, linked, size)
            free = shutil.disk_usage(target.media_dir).free
            if free < size + SPARE_BYTES:
                raise MediaError("not enough free disk space for it in the project")
            report = import_media(target, [file], skip_bad=True)
        except VideoSegError as exc:
            out.refused.append(f"{name}: {exc}")
            continue
        except OSError as exc:
            out.refused.append(f"{name}: {exc.__class__.__name__}: {exc.strerror or exc}")
            continue
        if report.errors:
            why = report.errors[0][1]  # the importer's own line, which names the file
            out.refused.append(why if why.startswith(display_name(file.name)) else f"{name}: {why}")
            continue
        if report.added:
            item = report.added[0]
            out.made.append(target.media_path(item))
            out.made.append(target.frame_index_path(item))
            src.execute(
                f"UPDATE media SET original_name = ?, ({_STATUS_COLS}) = (?, ?, ?, ?) WHERE id = ?",
                (name, *status, item.id),
            )
            out.added += 1
        else:
            item = report.duplicates[0][1]  # the project's own item: its status stays
            out.matched += 1
        out.mapping[pid] = item.id
        remember(
            "media", pid, item.id, media_fingerprint(pkg, pid), media_fingerprint(src, item.id)
        )
    return out
