"""Media changed behind the project's back: flagged cheaply, verified before they are used.

A media file replaced by another of the same length would otherwise be tracked or exported with
the new pixels under the old masks. Each media row records the file's size, hash and
modification time. ``flagged()`` compares size and time only (a stat per file, done when a
project is opened in the window and before tracking or export); ``verify()`` hashes a flagged
file, and every linked one (it lives outside the project, where anything may happen to it), and
refuses it when the hash differs. A file that verifies gets its new time recorded, so a project
copied without keeping file times is hashed once, not on every run.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Callable, Iterable
from pathlib import Path

from videoseg_desktop.core.errors import MediaError, VideoSegError
from videoseg_desktop.core.records import MediaItem
from videoseg_desktop.media.hashing import sha256_file

log = logging.getLogger(__name__)

MISSING, RESIZED, TOUCHED = "missing", "size changed", "modified"


_ABSENT = object()


def _quick_stat(media_dir: str, item: MediaItem):
    """The stat of a copy right inside media/ that is no symbolic link (_ABSENT when there is no
    file), with strings only; None when the full check of ``Project.media_path`` must decide."""
    path = item.path
    if item.linked or not isinstance(path, str) or not path.startswith("media/"):
        return None
    name = path[6:]
    if not name or name in (".", "..") or "/" in name or "\\" in name or "\0" in name:
        return None
    try:
        st = os.lstat(os.path.join(media_dir, name))
    except FileNotFoundError:
        return _ABSENT
    except OSError:
        return None
    return None if stat.S_ISLNK(st.st_mode) else st


class MediaGuard:
    def __init__(self, project) -> None:
        self.project = project
        self._verified: dict[int, tuple[int, int]] = {}  # id -> (size, mtime_ns) known good

    # -- recording ---------------------------------------------------------------------------
    def record(self, media_id: int, path: Path) -> None:
        """Remember the file's time (inside the caller's transaction, e.g. an import)."""
        st = Path(path).stat()
        with self.project.db.transaction() as conn:
            conn.execute("UPDATE media SET mtime_ns = ? WHERE id = ?", (st.st_mtime_ns, media_id))
        self._verified[media_id] = (st.st_size, st.st_mtime_ns)

    def _recorded_times(self) -> dict[int, int | None]:
        rows = self.project.db.conn.execute("SELECT id, mtime_ns FROM media").fetchall()
        return {int(i): (int(t) if isinstance(t, int) else None) for i, t in rows}

    # -- checking ----------------------------------------------------------------------------
    def flagged(self, items: Iterable[MediaItem] | None = None) -> dict[int, str]:
        """Media whose file is missing, of another size, or of another time than recorded."""
        if items is None:  # every row, read lightly (opening a project of 200,000 images)
            items = self._light_items()
        times = self._recorded_times()
        found = {}
        media_dir = str(self.project.media_dir)
        plain = self.project.media_dir_plain()
        for item in items:
            st = _quick_stat(media_dir, item) if plain else None
            if st is None:
                reason = self._stat_reason(item, times.get(item.id))
            else:
                reason = self._reason(item, st, times.get(item.id))
            if reason:
                found[item.id] = reason
        return found

    def _light_items(self) -> list[MediaItem]:
        """Just what a stat needs (id, name, path, link, size); a row of the wrong type is
        reported as missing by the stat, never trusted."""
        rows = self.project.db.conn.execute(
            "SELECT id, kind, path, original_name, byte_size, linked FROM media ORDER BY id"
        )
        return [
            MediaItem(
                i,
                kind,
                str(path),
                str(name),
                size,
                "",
                1,
                1,
                1,
                None,
                None,
                "",
                False,
                bool(linked),
            )  # fmt: skip
            for i, kind, path, name, size, linked in rows
        ]

    def _stat_reason(self, item: MediaItem, recorded_ns: int | None) -> str | None:
        try:
            st = self.project.media_path(item).stat()
        except (OSError, VideoSegError):
            return MISSING
        return self._reason(item, st, recorded_ns)

    def _reason(self, item: MediaItem, st, recorded_ns: int | None) -> str | None:
        if st is _ABSENT:
            return MISSING
        if st.st_size != item.byte_size:
            return RESIZED
        if self._verified.get(item.id) == (st.st_size, st.st_mtime_ns):
            return None
        if recorded_ns is None or st.st_mtime_ns != recorded_ns:
            return TOUCHED
        return None

    def verify(self, item: MediaItem) -> None:
        """Refuse ``item`` (MediaError) if its file is not the one imported; hash it if flagged
        or linked (once per process while its size and time stay the same)."""
        path = self.project.media_path(item)
        try:
            st = path.stat()
        except OSError:
            raise MediaError(
                f"the file of {item.original_name!r} (media {item.id}) is missing: {path}; "
                "restore it, or re-import it"
            ) from None
        if self._verified.get(item.id) == (st.st_size, st.st_mtime_ns):
            return
        recorded = self._recorded_times().get(item.id)
        reason = self._stat_reason(item, recorded)
        if reason == RESIZED:
            raise self._changed(item, path, f"{st.st_size} bytes instead of {item.byte_size}")
        if reason is None and not item.linked:
            self._verified[item.id] = (st.st_size, st.st_mtime_ns)
            return
        if sha256_file(path) != item.sha256:
            raise self._changed(item, path, "its content differs")
        self._verified[item.id] = (st.st_size, st.st_mtime_ns)
        if reason and not self.project.read_only:
            try:
                self.record(item.id, path)
            except (OSError, VideoSegError) as exc:  # a convenience: verified again next time
                log.warning("could not record the time of %s: %s", path, exc)

    def verify_all(
        self, items: Iterable[MediaItem], progress: Callable[[int, int], None] | None = None
    ) -> None:
        items = list(items)
        for done, item in enumerate(items, 1):
            self.verify(item)
            if progress:
                progress(done, len(items))

    @staticmethod
    def _changed(item: MediaItem, path: Path, why: str) -> MediaError:
        how = "re-link the original" if item.linked else "restore the original file"
        return MediaError(
            f"{item.original_name!r} (media {item.id}) changed on disk since it was imported "
            f"({why}): {path} is not used; {how}, or re-import it as new media"
        )
