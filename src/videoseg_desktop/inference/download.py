"""Downloading official checkpoints: resumable, verified, and never half-written.

Bytes go to ``<file>.part``; an interrupted download resumes from there with an HTTP Range
request. Only a file that has the expected size and hash *and* loads strictly into its
architecture is renamed (atomically) to its final name, so a checkpoint that exists under its
final name is always a good one. urllib only: no extra dependency.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from videoseg_desktop import __version__
from videoseg_desktop.core.errors import ModelError
from videoseg_desktop.inference.registry import ModelSpec, get_spec, official_path

# progress(done_bytes, total_bytes); total is 0 when unknown. It may raise to cancel: the
# partial file is kept so that the next call resumes.
ProgressCallback = Callable[[int, int], None]

CHUNK_BYTES = 1 << 20
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")


class _Interrupted(Exception):
    """The server closed the connection before the whole file arrived."""


_NETWORK_ERRORS = (
    urllib.error.URLError,
    TimeoutError,
    ConnectionError,
    http.client.HTTPException,
    _Interrupted,
)


def download_model(
    name: str, progress: ProgressCallback | None = None, *, timeout: float = 30.0
) -> Path:
    """Download the official checkpoint of model ``name`` into the models directory."""
    return download_checkpoint(get_spec(name), progress, dest=official_path(name), timeout=timeout)


def download_checkpoint(
    spec: ModelSpec,
    progress: ProgressCallback | None = None,
    *,
    dest: Path,
    timeout: float = 30.0,
) -> Path:
    """Fetch ``spec.url`` to ``dest`` (resuming ``dest.part``), verify it, then rename it.

    Returns ``dest`` at once when it already exists (it was verified before its rename).
    """
    dest = Path(dest)
    if dest.is_file():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    try:
        fetch(spec.url, part, spec.size_bytes, progress, timeout=timeout)
    except urllib.error.HTTPError as exc:
        reason = f"the server answered {exc.code} {exc.reason}"
        raise _manual_download_error(spec, dest, reason) from exc
    except _NETWORK_ERRORS as exc:
        reason = getattr(exc, "reason", None) or exc
        resumable = part.is_file() and part.stat().st_size > 0
        raise _manual_download_error(spec, dest, str(reason), resumable=resumable) from exc
    except OSError as exc:  # the disk, not the network (full, read-only, ...)
        raise ModelError(f"cannot write {part}: {exc.strerror or exc}") from exc
    try:
        verify_checkpoint_file(part, spec)
    except ModelError as exc:
        part.unlink(missing_ok=True)  # resuming would only keep the bad bytes
        raise ModelError(
            f"the download of {spec.filename} is corrupt and was deleted: {exc}"
        ) from exc
    os.replace(part, dest)
    return dest


def fetch(
    url: str,
    part: Path,
    expected_size: int | None = None,
    progress: ProgressCallback | None = None,
    *,
    timeout: float = 30.0,
) -> None:
    """Append the rest of ``url`` to ``part`` (which may hold a previous partial download)."""
    have = part.stat().st_size if part.is_file() else 0
    if expected_size and have > expected_size:
        have = 0  # longer than the real file: not a prefix of it
    if expected_size and have == expected_size:
        _report(progress, have, expected_size)
        return
    headers = {"User-Agent": f"videoseg-desktop/{__version__}"}
    if have:
        headers["Range"] = f"bytes={have}-"
    request = urllib.request.Request(url, headers=headers)
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code != 416 or not have:
            raise
        part.unlink()  # "range not satisfiable": the file upstream changed; start over
        return fetch(url, part, expected_size, progress, timeout=timeout)
    with response:
        if have and not _resumes_at(response, have):
            have = 0  # the server ignored the Range header: start over
        length = response.headers.get("Content-Length")
        remaining = int(length) if length is not None else None
        total = expected_size or ((have + remaining) if remaining is not None else 0)
        with open(part, "ab" if have else "wb") as out:
            _report(progress, have, total)
            received = 0
            while True:
                try:
                    chunk = response.read(CHUNK_BYTES)
                except http.client.IncompleteRead as exc:
                    out.write(exc.partial)
                    raise _Interrupted(
                        "the connection closed before the download finished"
                    ) from exc
                if not chunk:
                    break
                out.write(chunk)
                received += len(chunk)
                _report(progress, have + received, total)
            out.flush()
            os.fsync(out.fileno())
    if remaining is not None and received < remaining:
        raise _Interrupted("the connection closed before the download finished")


def verify_checkpoint_file(path: Path, spec: ModelSpec) -> None:
    """Size, then SHA-256 (when known), then a strict load into ``spec.config``."""
    from videoseg_desktop.inference.checkpoint import validate_checkpoint

    size = path.stat().st_size
    if spec.size_bytes and size != spec.size_bytes:
        raise ModelError(f"it has {size} bytes instead of {spec.size_bytes}")
    if spec.sha256:
        digest = file_sha256(path)
        if digest != spec.sha256:
            raise ModelError(f"its SHA-256 is {digest}, expected {spec.sha256}")
    validate_checkpoint(path, spec.config)


def file_sha256(path: Path) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK_BYTES):
            sha.update(chunk)
    return sha.hexdigest()


def _resumes_at(response, offset: int) -> bool:
    if getattr(response, "status", 200) != 206:
        return False
    match = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
    return bool(match) and int(match.group(1)) == offset


def _report(progress: ProgressCallback | None, done: int, total: int) -> None:
    if progress is not None:
        progress(done, total)


def _manual_download_error(
    spec: ModelSpec, dest: Path, reason: str, *, resumable: bool = False
) -> ModelError:
    again = " Run the download again to resume it," if resumable else ""
    return ModelError(
        f"could not download {spec.filename} ({reason}).{again} "
        f"Without network access, download {spec.url} on another machine and put it at "
        f"{dest.resolve()}"
    )
