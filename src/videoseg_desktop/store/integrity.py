"""``videoseg check``: what is wrong with a project, and what to do about it.

Runs without changing anything (the project is opened read-only): SQLite's integrity and
foreign-key checks, the settings, every media file (present, inside ``media/``, same size and
hash as imported), every video's frame index against its recorded frame count, every mask (size,
frame, a decodable RLE), and leftovers of interrupted work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from videoseg_desktop.core.errors import SchemaUpgradeNeededError, VideoSegError
from videoseg_desktop.core.masks import check_rle
from videoseg_desktop.core.records import MediaItem, MediaKind
from videoseg_desktop.core.text import noun, plural, size_text
from videoseg_desktop.media.frame_index import FrameIndex, build_frame_index
from videoseg_desktop.media.hashing import sha256_file
from videoseg_desktop.store.leftovers import leftover_candidates
from videoseg_desktop.store.project import DB_NAME, Project
from videoseg_desktop.store.settings import CHECKS, check_setting

MAX_SHOWN = 20  # problems of one kind listed one by one; the rest are counted


@dataclass
class Finding:
    area: str  # database, settings, media, masks, cache, leftovers
    problem: str
    advice: str


@dataclass
class CheckReport:
    root: Path
    checked: dict[str, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def add(self, area: str, problem: str, advice: str) -> None:
        same = sum(f.area == area for f in self.findings)
        if same < MAX_SHOWN:
            self.findings.append(Finding(area, problem, advice))
        elif same == MAX_SHOWN:
            self.findings.append(Finding(area, f"more problems in {area} (not listed)", advice))

    def to_dict(self) -> dict:
        return {
            "root": str(self.root),
            "ok": self.ok,
            "checked": self.checked,
            "findings": [asdict(f) for f in self.findings],
            "notes": self.notes,
        }


def _backups(root: Path) -> list[Path]:
    return sorted(root.glob(f"{DB_NAME}.v*.bak"))


def _restore_advice(root: Path) -> str:
    backups = _backups(root)
    if backups:
        return (
            f"restore {DB_NAME} from its automatic backup {backups[-1].name} (made before the "
            "last upgrade) or from your own backup"
        )
    return f"restore {DB_NAME} from your own backup (this project has no automatic one)"


def check_project(
    path: Path | str, hashes: bool = True, progress: Callable[[int, int], None] | None = None
) -> CheckReport:
    """Check the project at ``path``; ``hashes`` False skips reading every media file."""
    path = Path(path).expanduser().absolute()
    root = path.parent if path.suffix == ".vseg" else path
    report = CheckReport(root)
    try:
        project = Project.open(root, read_only=True)
    except SchemaUpgradeNeededError:
        report.add(
            "database",
            "the project was saved by an older version",
            "open it once for writing (it is backed up, then upgraded), then check it again",
        )
        return report
    except VideoSegError as exc:
        report.add("database", f"the project cannot be opened: {exc}", _restore_advice(root))
        return report
    with project:
        if _check_database(project, report):
            _check_settings(project, report)
            media = _check_media(project, report, hashes, progress)
            _check_masks(project, report, media)
            _check_orphans(project, report, media)
        _check_leftovers(root, report)
    return report


def _check_database(project: Project, report: CheckReport) -> bool:
    conn = project.db.conn
    try:
        rows = [r[0] for r in conn.execute("PRAGMA integrity_check(50)").fetchall()]
        broken_links = conn.execute("PRAGMA foreign_key_check").fetchall()
    except VideoSegError as exc:
        report.add("database", str(exc), _restore_advice(project.root))
        return False
    if rows != ["ok"]:
        for row in rows:
            report.add("database", f"SQLite integrity check: {row}", _restore_advice(project.root))
        return False
    if broken_links:
        tables = sorted({str(r[0]) for r in broken_links})
        report.add(
            "database",
            f"{plural(len(broken_links), 'row')} "
            f"{noun(len(broken_links), 'refers', 'refer')} to rows that do not exist ({', '.join(tables)})",
            _restore_advice(project.root),
        )
    report.checked["database"] = 1
    return True


def _check_settings(project: Project, report: CheckReport) -> None:
    rows = project.db.conn.execute("SELECT key, value FROM settings").fetchall()
    for key, value in rows:
        if key in CHECKS:
            try:
                check_setting(key, value)
            except VideoSegError as exc:
                report.add(
                    "settings", str(exc), "it is ignored; set it again from the window or CLI"
                )
    report.checked["settings"] = len(rows)


def _check_media(project: Project, report: CheckReport, hashes: bool, progress) -> dict:
    try:
        items = project.media.list()
    except VideoSegError as exc:
        report.add("media", f"the media table cannot be read: {exc}", _restore_advice(project.root))
        return {}
    for done, item in enumerate(items, 1):
        _check_one_media(project, report, item, hashes)
        if progress:
            progress(done, len(items))
    report.checked["media"] = len(items)
    return {item.id: item for item in items}


def _check_one_media(project: Project, report: CheckReport, item: MediaItem, hashes: bool):
    name = f"media {item.id} ({item.original_name})"
    how = "re-link it (import it again with --link)" if item.linked else "restore the file"
    try:
        path = project.media_path(item)
    except VideoSegError as exc:
        report.add("media", str(exc), "remove this media item; the project was tampered with")
        return
    if not path.is_file():
        report.add("media", f"{name}: the file is missing ({path})", f"{how} at {path}")
        return
    size = path.stat().st_size
    if size != item.byte_size:
        report.add(
            "media",
            f"{name}: the file is {size} bytes, {item.byte_size} when imported ({path})",
            f"{how}: its masks were drawn on the original",
        )
        return
    if hashes:
        try:
            same = sha256_file(path) == item.sha256
        except VideoSegError as exc:
            report.add("media", f"{name}: {exc}", f"{how}; check the disk")
            return
        if not same:
            report.add(
                "media",
                f"{name}: the file's content changed since it was imported ({path})",
                f"{how}: its masks were drawn on the original",
            )
            return
    if item.kind is MediaKind.VIDEO:
        _check_frame_index(project, report, item, path, name)


def _check_frame_index(project: Project, report: CheckReport, item, path: Path, name: str):
    cached = project.frame_index_path(item)
    index = None
    if cached.is_file():
        try:
            index = FrameIndex.load(cached)
        except VideoSegError:
            report.notes.append(f"{name}: its cached frame index is unreadable; it is rebuilt")
    try:
        index = index or build_frame_index(path)
    except VideoSegError as exc:
        report.add("media", f"{name}: the video cannot be indexed: {exc}", "restore the file")
        return
    if len(index) != item.frame_count:
        report.add(
            "cache",
            f"{name}: the frame index has {plural(len(index), 'frame')}, the project {item.frame_count}",
            f"delete {cached} (it is rebuilt); if that does not help, restore the file",
        )


def _check_masks(project: Project, report: CheckReport, media: dict) -> None:
    conn = project.db.conn
    rows = conn.execute(
        "SELECT m.object_id, m.frame, m.height, m.width, m.counts, o.media_id"
        " FROM masks m JOIN objects o ON o.id = m.object_id"
    )
    n = 0
    advice = "delete that object's mask on that frame (or the object) and redo it"
    for object_id, frame, height, width, counts, media_id in rows:
        n += 1
        item = media.get(media_id)
        where = f"the mask of object {object_id} on frame {frame}"
        if item is None:
            continue
        if not isinstance(frame, int) or not 0 <= frame < item.frame_count:
            report.add("masks", f"{where} lies outside media {media_id}'s frames", advice)
            continue
        if (height, width) != (item.height, item.width):
            report.add(
                "masks",
                f"{where} is {width}x{height}, media {media_id} is {item.width}x{item.height}",
                advice,
            )
            continue
        try:
            check_rle({"size": [height, width], "counts": counts})
        except VideoSegError as exc:
            report.add("masks", f"{where}: {exc}", advice)
    report.checked["masks"] = n


def _check_orphans(project: Project, report: CheckReport, media: dict) -> None:
    """Files in media/ that no media item uses: an import killed between its copy and its
    commit leaves one (harmless, but it takes space)."""
    used = {Path(item.path).name for item in media.values() if not item.linked}
    try:
        names = [p.name for p in project.media_dir.iterdir() if p.is_file()]
    except OSError:
        return
    orphans = [n for n in names if not n.startswith(".") and n not in used]
    if orphans:
        shown = ", ".join(orphans[:5]) + (", ..." if len(orphans) > 5 else "")
        report.notes.append(
            f"{plural(len(orphans), 'file')} in media/ "
            f"{noun(len(orphans), 'belongs', 'belong')} to no media item ({shown}): left by an "
            "interrupted import; delete them if you do not need them"
        )


def _check_leftovers(root: Path, report: CheckReport) -> None:
    found = list(leftover_candidates(root))
    if found:
        size = sum(_size(p) for p in found)
        report.notes.append(
            f"{plural(len(found), 'leftover')} of interrupted imports, exports or tracking "
            f"({size_text(size)}); they are removed when the project is next opened for "
            "writing (if their process is gone)"
        )


def _size(path: Path) -> int:
    try:
        if path.is_dir():
            return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
        return path.stat().st_size
    except OSError:
        return 0
