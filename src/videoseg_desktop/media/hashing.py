"""Content hashes of media files (to spot duplicates on import and moved files on relink)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from videoseg_desktop.core.errors import MediaError

_CHUNK = 1 << 20  # 1 MiB reads keep memory flat for multi-GB videos


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of the file's bytes, read in chunks."""
    path = Path(path)
    digest = hashlib.sha256()
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(_CHUNK):
                digest.update(chunk)
    except OSError as exc:
        raise MediaError(f"{path.name} cannot be read: {exc.strerror or exc}.") from None
    return digest.hexdigest()
