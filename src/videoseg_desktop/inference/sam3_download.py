"""Downloading SAM 3 from the Hugging Face hub (``facebook/sam3``, gated, about 3.4 GB).

``huggingface_hub`` does the transfer: it resumes an interrupted file from its ``.incomplete``
part, and reads the user's token from ``HF_TOKEN`` or ``hf auth login`` unless one is given.
Only the files a model folder needs are fetched (``sam3_files.MODEL_FILES``: never the
repository's pickled ``.pt`` checkpoint), into ``<models dir>/sam3/.download-<name>/``; once all
are there and pass ``check_folder``, the folder is renamed to ``<models dir>/sam3/<name>/``.

Every failure is one ``ModelError`` line saying what to do: request access (with the page), a
token that was refused, or, offline, which files to fetch elsewhere and where to put them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from videoseg_desktop.core.errors import ModelError
from videoseg_desktop.inference.sam3_files import check_folder, wanted
from videoseg_desktop.inference.sam3_registry import (
    OFFICIAL_SAM3,
    SAM3_REPO,
    check_sam3_name,
    find_sam3_model,
    require_sam3_libraries,
    sam3_folder,
    sam3_root,
    write_marker,
)

# progress(done_bytes, total_bytes); it may raise to cancel (the partial files stay, to resume)
ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class RepoFiles:
    """The files of the repository that a model folder needs, at one commit."""

    repo_id: str
    commit: str
    files: dict[str, int]  # name -> size in bytes
    licence: str | None  # name of the repository's licence file, if it has one

    @property
    def total_bytes(self) -> int:
        return sum(self.files.values())


def resolve_token(token: str | None = None) -> str | None:
    """The token to use: ``token``, else ``HF_TOKEN``, else the one ``hf auth login`` saved."""
    if token:
        return token.strip()
    from huggingface_hub import get_token

    return get_token()


def list_repo_files(
    repo_id: str = SAM3_REPO,
    *,
    revision: str | None = None,
    token: str | None = None,
    endpoint: str | None = None,
    name: str = OFFICIAL_SAM3,
) -> RepoFiles:
    """Which files to fetch (with sizes, for progress) from ``repo_id``."""
    require_sam3_libraries()
    from huggingface_hub import HfApi

    api = HfApi(endpoint=endpoint, token=resolve_token(token) or False)
    try:
        info = api.model_info(repo_id, revision=revision, files_metadata=True)
    except Exception as exc:
        raise _download_error(exc, repo_id, name) from exc
    files = {s.rfilename: int(s.size or 0) for s in info.siblings or [] if wanted(s.rfilename)}
    if "config.json" not in files or not any(f.endswith(".safetensors") for f in files):
        raise ModelError(
            f"{repo_id} holds no SAM 3 model in transformers format (config.json and "
            "model.safetensors); choose another repository"
        )
    licence = next((f for f in sorted(files) if f.upper().startswith("LICENSE")), None)
    return RepoFiles(repo_id, info.sha, files, licence)


def fetch_licence(
    repo: RepoFiles,
    *,
    token: str | None = None,
    endpoint: str | None = None,
    name: str = OFFICIAL_SAM3,
) -> str | None:
    """The licence text the repository ships (None when it has none), fetched first: it is small."""
    if repo.licence is None:
        return None
    path = _fetch(repo, repo.licence, _staging(name), token, endpoint, None, name)
    return Path(path).read_text(encoding="utf-8", errors="replace")


def download_sam3(
    name: str = OFFICIAL_SAM3,
    *,
    repo: RepoFiles | None = None,
    token: str | None = None,
    endpoint: str | None = None,
    progress: ProgressCallback | None = None,
) -> Path:
    """Download SAM 3 as model ``name``; returns its folder (at once when already there)."""
    name = check_sam3_name(name, allow_official=True)
    present = find_sam3_model(name)
    if present is not None:
        return present
    if repo is None:
        repo = list_repo_files(token=token, endpoint=endpoint, name=name)
    staging = _staging(name)
    total = repo.total_bytes
    done = 0
    for file, size in sorted(repo.files.items()):
        _fetch(repo, file, staging, token, endpoint, _Offset(progress, done, total), name)
        done += size
    _report(progress, total, total)
    return _install(staging, name, repo)


def _staging(name: str) -> Path:
    return sam3_root() / f".download-{name}"


def _fetch(repo, file, staging, token, endpoint, progress, name) -> str:
    """One file into ``staging``, resuming its ``.part`` from an earlier interrupted run.

    huggingface_hub finds the file (and the user's access to it) and streams it, retrying and
    resuming within one call; its own ``hf_hub_download`` throws the partial file away when
    interrupted, so the bytes go to our ``.part``, kept until the file is complete.
    """
    from urllib.parse import urlparse

    from huggingface_hub import get_hf_file_metadata, hf_hub_url
    from huggingface_hub.file_download import http_get
    from huggingface_hub.utils import build_hf_headers

    dest = staging / file
    if dest.is_file():
        if progress is not None:
            progress(dest.stat().st_size)
        return str(dest)
    staging.mkdir(parents=True, exist_ok=True)
    part = staging / (file + ".part")
    token = resolve_token(token) or False
    try:
        url = hf_hub_url(repo.repo_id, file, revision=repo.commit, endpoint=endpoint)
        meta = get_hf_file_metadata(url, token=token, endpoint=endpoint)
        headers = build_hf_headers(token=token)
        location = meta.location or url
        if urlparse(location).netloc != urlparse(url).netloc:
            headers.pop("authorization", None)  # a signed CDN address: the token stays home
        have = part.stat().st_size if part.is_file() else 0
        if meta.size is not None and have > meta.size:
            part.unlink()
            have = 0
        with open(part, "ab") as out:
            http_get(
                location,
                out,
                resume_size=have,
                headers=headers,
                expected_size=meta.size,
                displayed_filename=file,
                tqdm_class=_bar_class(progress) if progress is not None else _QUIET,
            )
    except ModelError:
        raise
    except Exception as exc:
        if _is_cancel(exc):
            raise
        raise _download_error(exc, repo.repo_id, name) from exc
    _verify(part, meta)
    os.replace(part, dest)
    return str(dest)


def _verify(part: Path, meta) -> None:
    """Size, and the SHA-256 the hub gives as ETag for large (LFS) files."""
    import hashlib

    size = part.stat().st_size
    if meta.size is not None and size != meta.size:
        part.unlink(missing_ok=True)
        raise ModelError(f"the download of {part.stem} is corrupt ({size} bytes, not {meta.size})")
    etag = (meta.etag or "").strip('"')
    if len(etag) == 64 and all(c in "0123456789abcdef" for c in etag):
        sha = hashlib.sha256()
        with open(part, "rb") as f:
            while chunk := f.read(1 << 20):
                sha.update(chunk)
        if sha.hexdigest() != etag:
            part.unlink(missing_ok=True)
            raise ModelError(
                f"the download of {part.stem} is corrupt (its SHA-256 differs) and was deleted"
            )


def _install(staging: Path, name: str, repo: RepoFiles) -> Path:
    for path in staging.iterdir():  # huggingface_hub's bookkeeping, and nothing else of ours
        if path.is_dir():
            shutil.rmtree(path)
        elif not wanted(path.name):
            path.unlink()
    try:
        check = check_folder(staging)
    except ModelError as exc:
        raise ModelError(
            f"the downloaded SAM 3 is not usable and was kept in {staging}: {exc}"
        ) from exc
    dest = sam3_folder(name)
    if dest.exists():
        raise ModelError(f"{dest} already exists; delete it to download again")
    write_marker(staging, check.model_type, f"{repo.repo_id}@{repo.commit}", check.size_bytes)
    os.replace(staging, dest)
    return dest


class _Offset:
    """Progress of one file reported as progress of the whole download."""

    def __init__(self, progress: ProgressCallback | None, offset: int, total: int) -> None:
        self.progress, self.offset, self.total = progress, offset, total

    def __call__(self, done: int) -> None:
        _report(self.progress, self.offset + done, self.total)


def _bar_class(report: _Offset | None):
    """A tqdm class that forwards huggingface_hub's byte counts to ``report`` (drawing nothing)."""
    from tqdm.auto import tqdm

    class _Bar(tqdm):
        def __init__(self, *args, **kwargs):
            kwargs["disable"] = True
            super().__init__(*args, **kwargs)
            self._done = int(kwargs.get("initial") or 0)  # resumed from a partial file
            if report is not None:
                report(self._done)

        def update(self, n=1):
            self._done += int(n or 0)
            if report is not None:
                report(self._done)

    return _Bar


class _LazyQuiet:
    """A silent progress bar class, made on first use (tqdm is imported lazily)."""

    def __call__(self, *args, **kwargs):
        return _bar_class(None)(*args, **kwargs)


_QUIET = _LazyQuiet()


def _report(progress: ProgressCallback | None, done: int, total: int) -> None:
    if progress is not None:
        progress(done, total)


class DownloadCancelled(Exception):
    """Raised by a progress callback to stop a download (the partial files are kept)."""


def _is_cancel(exc: BaseException) -> bool:
    return isinstance(exc, (DownloadCancelled, KeyboardInterrupt))


def _download_error(exc: Exception, repo_id: str, name: str) -> ModelError:
    from huggingface_hub.errors import (
        GatedRepoError,
        HfHubHTTPError,
        LocalEntryNotFoundError,
        OfflineModeIsEnabled,
        RepositoryNotFoundError,
    )

    page = f"https://huggingface.co/{repo_id}"
    status = getattr(getattr(exc, "response", None), "status_code", None)
    if isinstance(exc, GatedRepoError) or (isinstance(exc, HfHubHTTPError) and status == 403):
        return ModelError(
            f"{repo_id} is gated: request access on {page} (logged in to Hugging Face), wait "
            "for it to be granted, then run this again with your token (HF_TOKEN, "
            "`hf auth login` or --token)"
        )
    if isinstance(exc, RepositoryNotFoundError) or status == 401:
        return ModelError(
            f"Hugging Face refused access to {repo_id} (no token, or a token without access): "
            f"request access on {page}, then give your token with HF_TOKEN, `hf auth login` "
            "or --token"
        )
    reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    if isinstance(exc, (OfflineModeIsEnabled, LocalEntryNotFoundError, OSError)) or not isinstance(
        exc, HfHubHTTPError
    ):
        return ModelError(
            f"cannot download {repo_id} ({reason}). Without network access, download its files "
            "(config.json, model.safetensors, processor_config.json and the tokenizer files) "
            f"from {page} on another machine, put them in one folder and run "
            f"`videoseg models import FOLDER --name {name}` (they are then kept in "
            f"{sam3_folder(name)})"
        )
    return ModelError(f"could not download {repo_id}: {reason}")
