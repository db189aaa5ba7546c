"""Importing files into a project: hash, probe, copy (or link), index, insert.

A file is either fully imported (row, copy and frame index) or not at all: on any error the copy
and cache files made for it are removed and its transaction rolls back. A copy is written under
a temporary name carrying the process id (``media/.import-p<pid>-*``), so a killed import's
partial copy is recognised and removed the next time the project is opened.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from videoseg_desktop.core.errors import MediaError, VideoSegError, describe_os_error
from videoseg_desktop.core.files import apply_default_mode
from videoseg_desktop.core.records import MediaItem
from videoseg_desktop.media.hashing import sha256_file
from videoseg_desktop.media.probe import probe_media_with_index
from videoseg_desktop.store.leftovers import owner_tag
from videoseg_desktop.store.timeutil import now_iso

Progress = Callable[[int, int, str], None]  # (done, total, current file name)


@dataclass
class ImportReport:
    added: list[MediaItem] = field(default_factory=list)
    duplicates: list[tuple[Path, MediaItem]] = field(default_factory=list)
    errors: list[tuple[Path, str]] = field(default_factory=list)


def import_media(
    project,
    paths: Iterable[Path | str],
    link: bool = False,
    skip_bad: bool = False,
    progress: Progress | None = None,
    verify: bool = False,
) -> ImportReport:
    """Import files. With ``skip_bad`` a bad file is reported and the rest go on; without it the
    first bad file stops the import and nothing from this call is kept. ``verify`` decodes every
    frame of a video, so one corrupt in the middle is refused now rather than when tracking
    reaches it."""
    paths = [Path(p).expanduser().absolute() for p in paths]
    report, made = ImportReport(), []
    try:
        with project.transaction():
            for done, path in enumerate(paths):
                if progress:
                    progress(done, len(paths), path.name)
                try:
                    with project.transaction():
                        _import_one(project, path, link, report, made, verify)
                except VideoSegError as exc:
                    if not skip_bad:
                        raise
                    report.errors.append((path, str(exc)))
            if progress:
                progress(len(paths), len(paths), "")
    except BaseException:
        for f in made:
            f.unlink(missing_ok=True)
        raise
    return report


def display_name(name: str) -> str:
    """A file name as text that can be stored and shown: bytes that are not UTF-8 (kept by the
    OS as surrogates) become U+FFFD, control characters '?'."""
    text = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return "".join(c if c.isprintable() else "?" for c in text) or "unnamed"


def _import_one(
    project, path: Path, link: bool, report: ImportReport, made: list[Path], verify: bool
) -> None:
    if not path.is_file():
        raise MediaError(f"{display_name(str(path))} is not a file")
    name = display_name(path.name)
    if link and display_name(str(path)) != str(path):
        raise MediaError(
            f"{name}: its path is not valid UTF-8 text, so it cannot be linked; import a copy "
            "instead (without --link)"
        )
    sha = sha256_file(path)
    existing = project.media.find_by_sha256(sha)
    if existing is not None:
        report.duplicates.append((path, existing))
        return
    info, index = probe_media_with_index(path, decode_all=verify)  # index saved, not rebuilt
    own: list[Path] = []  # files made for this one, removed again if it fails
    try:
        if link:
            stored = str(path)
        else:
            target = _free_name(project.media_dir, name.replace("\ufffd", "_"))
            _copy_atomically(path, target)
            own.append(target)
            stored = target.relative_to(project.root).as_posix()
        item = MediaItem(
            id=0,
            kind=info.kind,
            path=stored,
            original_name=name,
            byte_size=path.stat().st_size,
            sha256=sha,
            width=info.width,
            height=info.height,
            frame_count=info.frame_count,
            fps=info.fps,
            duration=info.duration,
            imported_at=now_iso(),
            annotated=False,
            linked=link,
        )
        if index is not None:
            index_path = project.frame_index_path(item)
            try:
                index_path.parent.mkdir(parents=True, exist_ok=True)
                index.save(index_path)
            except OSError as exc:
                raise MediaError(
                    f"could not save the frame index of {name}: {describe_os_error(exc)}"
                ) from exc
            own.append(index_path)
        added = project.media.insert(item)
        project.media_guard.record(added.id, project.media_path(added))
        report.added.append(added)
    except BaseException:
        for f in own:
            f.unlink(missing_ok=True)
        raise
    made.extend(own)


def _free_name(folder: Path, name: str) -> Path:
    """``name`` in ``folder``, or ``stem-2.ext`` ... when taken (different files may share a name)."""
    if name.startswith("."):  # never hidden, never mistaken for a leftover
        name = "_" + name[1:]
    candidate, n = folder / name, 2
    while candidate.exists():
        candidate = folder / f"{Path(name).stem}-{n}{Path(name).suffix}"
        n += 1
    return candidate


def _copy_atomically(src: Path, dest: Path) -> None:
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".import-{owner_tag()}-", dir=dest.parent)
    except OSError as exc:
        raise MediaError(f"could not copy into {dest.parent}: {describe_os_error(exc)}") from exc
    os.close(fd)
    try:
        shutil.copyfile(src, tmp)
        apply_default_mode(tmp, is_dir=False)  # mkstemp's 0600 would hide it from colleagues
        os.replace(tmp, dest)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise MediaError(
            f"could not copy {display_name(src.name)} into the project: {describe_os_error(exc)}"
        ) from exc
