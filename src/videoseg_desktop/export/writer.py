"""Where exports are written: a timestamped folder that appears only once it is complete.

Everything goes into a hidden ``.<name>.partial-p<pid>-*`` folder beside the destination and is
renamed into place (or zipped) at the end, so a failed or interrupted export leaves no
half-written folder that could be mistaken for a dataset (a killed one is removed when the
project is next opened: the pid tells it is dead). A full disk or a refused write ends in one
ExportError. File names are joined through ``safe_join`` so that
no name (from the database or from a file being imported) can point outside its folder.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import IO

from videoseg_desktop.core.errors import ExportError, describe_os_error
from videoseg_desktop.core.files import apply_default_mode
from videoseg_desktop.core.limits import (
    MAX_ANNOTATION_FILE_BYTES,
    MAX_FILE_NAME_LENGTH,
    MAX_JSON_DEPTH,
)
from videoseg_desktop.core.text import plural, size_text

Progress = Callable[[int, int], None]  # (done, total)

# Already-compressed files are stored in zips as they are; deflating them again only costs time.
_STORED_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".mp4", ".zip"}


@dataclass
class ExportSummary:
    """What an export wrote; ``line()`` is the one-line summary the CLI prints."""

    format: str
    path: Path
    files: int = 0
    images: int = 0
    videos: int = 0
    objects: int = 0
    masks: int = 0
    warnings: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"exported {self.format}: {plural(self.files, 'file')}, {plural(self.images, 'image')}, "
            f"{plural(self.videos, 'video')}, {plural(self.objects, 'object')}, {plural(self.masks, 'mask')} -> {self.path}"
        )


def check_relative_name(name: str, where: str | None = None) -> str:
    """A relative POSIX path that stays inside its folder, or ExportError (prefixed ``where``).

    Rejects absolute paths (POSIX or Windows, drive letters included), ``..`` parts and empty
    names; backslashes count as separators so ``..\\x`` is caught on every platform.
    """
    if where is not None:
        try:
            return check_relative_name(name)
        except ExportError as exc:
            raise ExportError(f"{where}: {exc}") from None
    if not isinstance(name, str) or not name.strip():
        raise ExportError(f"invalid file name {name!r}")
    if (
        len(name) > MAX_FILE_NAME_LENGTH
        or not name.isprintable()
        or any("\ud800" <= c <= "\udfff" for c in name)
    ):
        shown = name[:60].encode("utf-8", "backslashreplace").decode("ascii", "backslashreplace")
        raise ExportError(
            f"invalid file name {shown!r}: at most {MAX_FILE_NAME_LENGTH} printable characters"
        )
    posix = name.replace("\\", "/")
    if PurePosixPath(posix).is_absolute() or PureWindowsPath(name).drive or posix.startswith("/"):
        raise ExportError(
            f"file name {name!r} is an absolute path; only relative names are allowed"
        )
    parts = [p for p in PurePosixPath(posix).parts if p not in ("", ".")]
    if not parts or any(p == ".." for p in parts):
        raise ExportError(f"file name {name!r} points outside its folder")
    return "/".join(parts)


def safe_join(root: Path, name: str) -> Path:
    """``root / name`` after ``check_relative_name``."""
    return root.joinpath(*check_relative_name(name).split("/"))


def unique_name(taken: set[str], name: str) -> str:
    """``name``, or ``stem-2.ext``, ``stem-3.ext`` ... when already taken; records the result."""
    candidate, n = name, 2
    stem, suffix = os.path.splitext(name)
    while candidate.lower() in taken:  # case-insensitive: the export may land on Windows/macOS
        candidate = f"{stem}-{n}{suffix}"
        n += 1
    taken.add(candidate.lower())
    return candidate


def safe_file_name(name: str) -> str:
    """A single path component usable as a file name (its last part; odd characters replaced)."""
    name = PurePosixPath(name.replace("\\", "/")).name  # a path's last part only
    cleaned = "".join("_" if c in ':*?"<>|' or ord(c) < 32 else c for c in name).strip(". ")
    return cleaned or "unnamed"


class ExportTarget:
    """A context manager owning the temporary folder of one export.

    ``out`` is the final folder (or zip file with ``zip_output``); by default a new
    ``<format>-<YYYYmmdd-HHMMSS>`` under the project's ``exports/``. On success the folder is
    renamed into place (or zipped); on any error it is deleted and nothing else is touched.
    """

    def __init__(
        self, exports_dir: Path, fmt: str, out: Path | str | None = None, zip_output: bool = False
    ):
        self.format = fmt
        self.zip_output = zip_output
        self.final = self._final_path(Path(exports_dir), fmt, out, zip_output)
        self.dir: Path | None = None

    @staticmethod
    def _final_path(exports_dir: Path, fmt: str, out, zip_output: bool) -> Path:
        if out is None:
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
            base, n = f"{fmt}-{stamp}", 2
            final = exports_dir / (base + (".zip" if zip_output else ""))
            while final.exists():
                final = exports_dir / (f"{base}-{n}" + (".zip" if zip_output else ""))
                n += 1
            return final
        final = Path(out).expanduser().absolute()
        if zip_output and final.suffix.lower() != ".zip":
            final = final.with_name(final.name + ".zip")
        if final.exists() and not (final.is_dir() and not any(final.iterdir())):
            raise ExportError(f"{final} already exists; choose a new --out or remove it first")
        return final

    def __enter__(self) -> ExportTarget:
        try:
            self.final.parent.mkdir(parents=True, exist_ok=True)
            self.dir = Path(
                tempfile.mkdtemp(
                    prefix=f".{self.final.name}.partial-p{os.getpid()}-", dir=self.final.parent
                )
            )
            apply_default_mode(self.dir, is_dir=True)  # mkdtemp's 0700 would hide the export
        except OSError as exc:
            raise ExportError(f"cannot write to {self.final.parent}: {exc.strerror}") from exc
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            if issubclass(exc_type, OSError):  # a full disk, a permission: one clear line
                raise ExportError(f"the export to {self.final} failed: {_os_reason(exc)}") from exc
            return
        try:
            self._finish()
        except OSError as exc:
            shutil.rmtree(self.dir, ignore_errors=True)
            raise ExportError(f"the export to {self.final} failed: {_os_reason(exc)}") from exc
        except BaseException:
            shutil.rmtree(self.dir, ignore_errors=True)
            raise

    def _finish(self) -> None:
        if self.zip_output:
            tmp_zip = self.dir.with_name(self.dir.name + ".zip")
            try:
                _zip_folder(self.dir, tmp_zip, self.final.stem)
                os.replace(tmp_zip, self.final)
            finally:
                tmp_zip.unlink(missing_ok=True)
            shutil.rmtree(self.dir, ignore_errors=True)
            return
        if self.final.is_dir():  # an empty folder named by --out: replace it
            self.final.rmdir()
        try:
            os.rename(self.dir, self.final)
        except OSError as exc:
            raise ExportError(f"cannot move the export to {self.final}: {exc.strerror}") from exc

    # -- writing files ---------------------------------------------------------------------
    def file(self, name: str) -> Path:
        """The path for ``name`` inside the export (parent folders created), checked to stay inside."""
        path = safe_join(self.dir, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def count_files(self) -> int:
        return sum(1 for p in self.dir.rglob("*") if p.is_file())


def _os_reason(exc: OSError) -> str:
    return describe_os_error(exc) + " (nothing of it was left behind)"


def _zip_folder(folder: Path, zip_path: Path, top: str) -> None:
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                arcname = f"{top}/{path.relative_to(folder).as_posix()}"
                kind = (
                    zipfile.ZIP_STORED
                    if path.suffix.lower() in _STORED_SUFFIXES
                    else zipfile.ZIP_DEFLATED
                )
                zf.write(path, arcname, compress_type=kind)


def dataset_info(project) -> dict:
    """The ``info`` block of COCO-style files."""
    now = datetime.now(timezone.utc)
    return {
        "description": f"{project.name} (VideoSeg Desktop export)",
        "url": "",
        "version": "1.0",
        "year": now.year,
        "contributor": "",
        "date_created": now.isoformat(timespec="seconds"),
    }


def write_json_streaming(fh: IO[str], fields: Iterable[tuple[str, object]]) -> None:
    """Write a JSON object whose iterator values are streamed as arrays, one element per line.

    Large exports (tens of thousands of annotations) are thus written without building the
    whole document in memory.
    """
    fh.write("{")
    for n, (key, value) in enumerate(fields):
        fh.write(("," if n else "") + "\n" + json.dumps(key) + ": ")
        if isinstance(value, Iterator):
            fh.write("[")
            for i, item in enumerate(value):
                fh.write(("," if i else "") + "\n" + json.dumps(item, separators=(",", ":")))
            fh.write("\n]")
        else:
            fh.write(json.dumps(value))
    fh.write("\n}\n")


def read_json(path: Path, what: str) -> object:
    """Parse a JSON file, turning every failure into one clear ExportError.

    The file is untrusted: its size and nesting are limited (see core.limits), and the
    non-standard constants NaN and Infinity are refused (pycocotools crashes on them).
    """
    try:
        size = os.stat(path).st_size
    except FileNotFoundError:
        raise ExportError(f"{path} does not exist") from None
    except OSError as exc:
        raise ExportError(f"cannot read {path}: {exc.strerror}") from None
    if size > MAX_ANNOTATION_FILE_BYTES:
        raise ExportError(
            f"{path} is {size_text(size)}; annotation files are limited to "
            f"{size_text(MAX_ANNOTATION_FILE_BYTES)}"
        )
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh, parse_constant=_refuse_constant)
    except FileNotFoundError:
        raise ExportError(f"{path} does not exist") from None
    except IsADirectoryError:
        raise ExportError(f"{path} is a folder, not a {what} JSON file") from None
    except UnicodeDecodeError:
        raise ExportError(f"{path} is not a UTF-8 text file") from None
    except json.JSONDecodeError as exc:
        raise ExportError(
            f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    except RecursionError:
        raise ExportError(f"{path} is nested deeper than {MAX_JSON_DEPTH} levels") from None
    except _BadConstant as exc:
        raise ExportError(
            f"{path} holds {exc.args[0]}, which is not a number JSON allows"
        ) from None
    except MemoryError:
        raise ExportError(f"{path} is too large to read into memory") from None
    except OSError as exc:
        raise ExportError(f"cannot read {path}: {exc.strerror}") from None
    check_depth(data, path)
    return data


class _BadConstant(ValueError):
    pass


def _refuse_constant(name: str):
    raise _BadConstant(name)


def check_depth(data: object, path: Path | str) -> None:
    """ExportError when ``data`` nests lists/dicts deeper than MAX_JSON_DEPTH (walked a level
    at a time, without recursion, so the check itself cannot overflow the stack)."""
    level = [data] if type(data) in (dict, list) else []
    depth = 0
    while level:
        depth += 1
        if depth > MAX_JSON_DEPTH:
            raise ExportError(f"{path} is nested deeper than {MAX_JSON_DEPTH} levels")
        level = [
            child
            for value in level
            for child in (value.values() if type(value) is dict else value)
            if type(child) is dict or type(child) is list
        ]
