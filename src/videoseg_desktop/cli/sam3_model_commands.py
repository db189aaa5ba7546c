"""The SAM 3 side of `videoseg models list|download|import` (``model_commands.py`` dispatches).

torch, transformers and huggingface_hub are imported only by the handlers that need them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from videoseg_desktop.core.errors import ModelError
from videoseg_desktop.core.text import size_text


def sam3_rows() -> list[dict]:
    """SAM 3 models as rows of `videoseg models list --json`."""
    from videoseg_desktop.inference.sam3_registry import list_sam3_models

    return [
        {
            "name": s.name,
            "family": "sam3",
            "config": s.model_type,
            "size_bytes": s.size_bytes,
            "downloaded": s.downloaded,
            "imported": s.imported,
            "path": str(s.path),
            "video": s.handles_video,
        }
        for s in list_sam3_models()
    ]


def download(name: str, args, progress_class) -> Path:
    """Download SAM 3 as ``name``: show the licence once and ask for it to be accepted first."""
    from videoseg_desktop.inference.sam3_download import (
        download_sam3,
        fetch_licence,
        list_repo_files,
    )
    from videoseg_desktop.inference.sam3_registry import (
        LICENCE_SUMMARY,
        SAM3_PAGE,
        accept_licence,
        find_sam3_model,
        licence_accepted,
    )

    present = find_sam3_model(name)
    if present is not None:
        print(f"{name}: already downloaded at {present}")
        return present
    endpoint = os.environ.get("HF_ENDPOINT") or None  # a hub mirror, as huggingface_hub reads it
    repo = list_repo_files(token=args.token, endpoint=endpoint, name=name)
    if licence_accepted() is None:
        text = fetch_licence(repo, token=args.token, endpoint=endpoint, name=name)
        print(LICENCE_SUMMARY)
        if text:
            print(f"\n--- the licence shipped with {repo.repo_id} ---\n{text.strip()}\n---")
        else:
            print(f"\nRead the licence on {SAM3_PAGE} before you accept it.")
        if not (args.accept_licence or _ask("Do you accept the SAM License? Type yes to accept: ")):
            raise ModelError(
                "the SAM 3 licence was not accepted; nothing was downloaded (pass "
                "--accept-licence to accept it without the question)"
            )
        accept_licence(getattr(args, "user", None))
    size = size_text(repo.total_bytes)
    print(f"downloading {repo.repo_id} ({size}) into {name}", file=sys.stderr)
    progress = progress_class(f"downloading {repo.repo_id}")
    try:
        path = download_sam3(
            name, repo=repo, token=args.token, endpoint=endpoint, progress=progress
        )
    finally:
        progress.finish()
    print(f"{name}: saved to {path}")
    return path


def _ask(question: str) -> bool:
    if not sys.stdin.isatty():
        return False
    try:
        return input(question).strip().lower() in ("yes", "y")
    except EOFError:
        return False


def import_folder(path: Path, name: str | None) -> Path:
    from videoseg_desktop.inference.sam3_files import import_sam3_folder

    dest = import_sam3_folder(path, name)
    print(f"imported the SAM 3 model folder {path} to {dest}")
    return dest
