"""SAM 3 models (concept prompts, via Hugging Face transformers) on disk: the official download
and imported model folders. The SAM 3 twin of ``registry.py`` (SAM 2.1), kept apart from it.

No torch here: listing models must stay instant. Each SAM 3 model is a folder in transformers
format under ``<models dir>/sam3/<name>/``; a folder counts as installed only once the marker
file ``videoseg-model.json`` is in it, written after its files were checked and copied (see
``sam3_files.py``), so a half-copied or half-downloaded folder is never used.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from videoseg_desktop.core.errors import ModelError
from videoseg_desktop.inference.registry import OFFICIAL_MODELS, models_dir

OFFICIAL_SAM3 = "sam3"
SAM3_REPO = "facebook/sam3"
SAM3_PAGE = f"https://huggingface.co/{SAM3_REPO}"
SAM3_SIZE_BYTES = 3_450_000_000  # model.safetensors, fp32 (about 3.2 GiB); the rest is small
DEFAULT_SAM3_IMAGE_SIZE = 1008  # what SAM 3 was trained at
MARKER = "videoseg-model.json"
LICENCE_MARKER = "LICENCE-ACCEPTED.json"
MODEL_TYPES = {"sam3_video": "images and videos", "sam3": "images only"}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")

LICENCE_SUMMARY = f"""\
SAM 3 is released by Meta under the "SAM License", not under an open-source licence like
VideoSeg Desktop's own Apache 2.0. Its terms (among them use restrictions, conditions on
redistribution and an acceptable-use policy) are shown on {SAM3_PAGE}, where Meta also asks you
to request access before the weights can be downloaded. VideoSeg Desktop does not ship the
weights; it downloads them for you, once, after you accept the licence."""


@dataclass(frozen=True)
class Sam3ModelStatus:
    """A SAM 3 model as ``videoseg models list`` shows it."""

    name: str
    model_type: str  # sam3_video (images and videos) or sam3 (images only)
    size_bytes: int | None
    path: Path
    downloaded: bool
    imported: bool
    source: str | None = None

    @property
    def handles_video(self) -> bool:
        return self.model_type == "sam3_video"


def require_sam3_libraries() -> None:
    """SAM 3 runs on transformers (the optional extra ``videoseg-desktop[sam3]``)."""
    import importlib.util

    needed = ("transformers", "huggingface_hub", "safetensors", "torchvision")
    missing = [m for m in needed if importlib.util.find_spec(m) is None]
    if missing:
        raise ModelError(
            f"SAM 3 needs {', '.join(missing)}, which is not installed: "
            "pip install 'videoseg-desktop[sam3]' (and torchvision matching your torch)"
        )


def sam3_root() -> Path:
    return models_dir() / "sam3"


def sam3_folder(name: str) -> Path:
    return sam3_root() / check_sam3_name(name, allow_official=True)


def check_sam3_name(name: str, allow_official: bool = False) -> str:
    """A safe folder name that no SAM 2.1 model (nor, unless allowed, the official SAM 3) uses."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise ModelError(
            f"invalid model name {name!r}: use letters, digits, '_', '-' or '.', at most 64"
        )
    taken = set(OFFICIAL_MODELS) | {Path(s.filename).stem for s in OFFICIAL_MODELS.values()}
    if not allow_official:
        taken.add(OFFICIAL_SAM3)
    if name in taken:
        raise ModelError(f"{name!r} is the name of an official model; choose another --name")
    return name


def read_marker(folder: Path) -> dict | None:
    try:
        data = json.loads((Path(folder) / MARKER).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("model_type") not in MODEL_TYPES:
        return None
    return data


def write_marker(folder: Path, model_type: str, source: str, size_bytes: int) -> None:
    data = {
        "family": "sam3",
        "model_type": model_type,
        "source": source,
        "size_bytes": int(size_bytes),
        "installed_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    tmp = Path(folder) / (MARKER + ".part")
    tmp.write_text(json.dumps(data, indent=2))
    os.replace(tmp, Path(folder) / MARKER)


def find_sam3_model(name: str) -> Path | None:
    """The installed folder of SAM 3 model ``name``, or None."""
    try:
        folder = sam3_folder(name)
    except ModelError:
        return None
    return folder if read_marker(folder) is not None else None


def is_sam3_model(name: str) -> bool:
    return name == OFFICIAL_SAM3 or find_sam3_model(name) is not None


def list_sam3_models() -> list[Sam3ModelStatus]:
    """The official model (installed or not) followed by imported ones."""
    official = sam3_root() / OFFICIAL_SAM3
    marker = read_marker(official)
    rows = [
        Sam3ModelStatus(
            OFFICIAL_SAM3,
            "sam3_video",
            marker.get("size_bytes") if marker else SAM3_SIZE_BYTES,
            official,
            marker is not None,
            False,
            SAM3_REPO,
        )
    ]
    root = sam3_root()
    if root.is_dir():
        for folder in sorted(p for p in root.iterdir() if p.is_dir()):
            if folder.name == OFFICIAL_SAM3 or not _NAME.match(folder.name):
                continue
            data = read_marker(folder)
            if data is None:
                continue
            rows.append(
                Sam3ModelStatus(
                    folder.name,
                    data["model_type"],
                    data.get("size_bytes"),
                    folder,
                    True,
                    True,
                    data.get("source"),
                )
            )
    return rows


def missing_sam3_error(name: str) -> ModelError:
    """The error for a SAM 3 model that is not installed, saying how to get it."""
    if name == OFFICIAL_SAM3:
        return ModelError(
            "SAM 3 is not downloaded yet: run `videoseg models download sam3` (it needs access "
            f"granted on {SAM3_PAGE}), or put the files of that repository in a folder and run "
            "`videoseg models import FOLDER --name sam3`"
        )
    names = ", ".join(s.name for s in list_sam3_models() if s.downloaded) or "none installed"
    return ModelError(
        f"no SAM 3 model named {name!r} (SAM 3 models: {names}); import a model folder with "
        "`videoseg models import FOLDER --name NAME`"
    )


def configured_image_size(folder: Path) -> int:
    """The input size in a model folder's config.json (read as JSON, without transformers)."""
    try:
        config = json.loads((Path(folder) / "config.json").read_text())
        detector = config.get("detector_config", config)
        size = detector["vision_config"]["backbone_config"]["image_size"]
        return int(size[0] if isinstance(size, list) else size)
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return DEFAULT_SAM3_IMAGE_SIZE


def model_id(name: str, image_size: int) -> str:
    """What masks record as their model: ``sam3@1008``, ``my-sam3@1008``."""
    return f"{name}@{int(image_size)}"


# -- the licence ------------------------------------------------------------------------------


def licence_accepted() -> dict | None:
    """When the SAM 3 licence was accepted on this machine (None: not yet)."""
    try:
        data = json.loads((sam3_root() / LICENCE_MARKER).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("accepted") is True else None


def accept_licence(user: str | None = None) -> Path:
    """Record that the user accepted the SAM 3 licence (asked once, before the first download)."""
    root = sam3_root()
    root.mkdir(parents=True, exist_ok=True)
    path = root / LICENCE_MARKER
    data = {
        "accepted": True,
        "licence": "SAM License",
        "page": SAM3_PAGE,
        "user": user,
        "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    tmp = path.with_suffix(".part")
    tmp.write_text(json.dumps(data, indent=2))
    os.replace(tmp, path)
    return path
