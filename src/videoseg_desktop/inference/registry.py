"""The SAM 2.1 models we know, where their checkpoints live on disk, and which are present.

No torch here: listing models must stay instant for the CLI and the settings dialog.

Official checkpoints keep their upstream file names (``sam2.1_hiera_tiny.pt`` ...) in the models
directory. Imported checkpoints (fine-tuned models) are stored as ``<name>.pt`` next to a
``<name>.json`` sidecar that records which architecture (config) they belong to.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from videoseg_desktop.core.errors import ModelError

MODELS_DIR_ENV = "VIDEOSEG_MODELS_DIR"
DEFAULT_MODEL = "tiny"
_BASE_URL = "https://dl.fbaipublicfiles.com/segment_anything_2/092824/"


@dataclass(frozen=True)
class ModelSpec:
    """One downloadable SAM 2.1 checkpoint.

    ``size_bytes`` and ``sha256`` are the values several independent public projects record for
    these exact URLs (Meta publishes no checksums). Download verification checks the size, then
    the hash, then that the weights load strictly into ``config``; the load check alone would
    catch a changed upstream file, so a wrong hash here could only cause a false refusal.
    """

    name: str
    config: str  # hydra config name inside the sam2 package
    url: str
    size_bytes: int
    sha256: str | None
    title: str
    tensor_count: int  # entries in its state dict (measured with sam2 1.1.0), to tell sizes apart

    @property
    def filename(self) -> str:
        return self.url.rsplit("/", 1)[-1]


OFFICIAL_MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            "tiny",
            "configs/sam2.1/sam2.1_hiera_t.yaml",
            _BASE_URL + "sam2.1_hiera_tiny.pt",
            156_008_466,
            "7402e0d864fa82708a20fbd15bc84245c2f26dff0eb43a4b5b93452deb34be69",
            "SAM 2.1 Hiera Tiny",
            471,
        ),
        ModelSpec(
            "small",
            "configs/sam2.1/sam2.1_hiera_s.yaml",
            _BASE_URL + "sam2.1_hiera_small.pt",
            184_416_285,
            "6d1aa6f30de5c92224f8172114de081d104bbd23dd9dc5c58996f0cad5dc4d38",
            "SAM 2.1 Hiera Small",
            519,
        ),
        ModelSpec(
            "base_plus",
            "configs/sam2.1/sam2.1_hiera_b+.yaml",
            _BASE_URL + "sam2.1_hiera_base_plus.pt",
            323_606_802,
            "a2345aede8715ab1d5d31b4a509fb160c5a4af1970f199d9054ccfb746c004c5",
            "SAM 2.1 Hiera Base+",
            615,
        ),
        ModelSpec(
            "large",
            "configs/sam2.1/sam2.1_hiera_l.yaml",
            _BASE_URL + "sam2.1_hiera_large.pt",
            898_083_611,
            "2647878d5dfa5098f2f8649825738a9345572bae2d4350a2468587ece47dd318",
            "SAM 2.1 Hiera Large",
            903,
        ),
    )
}

# Hydra config by model name, for code that only needs the architecture.
CONFIGS: dict[str, str] = {name: spec.config for name, spec in OFFICIAL_MODELS.items()}

# The only config names ever handed to Hydra: configs shipped inside the sam2 package. A name
# from anywhere else (a project's settings, a sidecar, the command line) could point Hydra at a
# file of the attacker's whose ``_target_`` runs any Python callable.
ALLOWED_CONFIGS: frozenset[str] = frozenset(CONFIGS.values())

_IMPORTED_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class ModelStatus:
    """A model as ``videoseg models list`` shows it."""

    name: str
    config: str
    size_bytes: int | None  # expected size (official) or actual size (imported)
    path: Path
    downloaded: bool
    imported: bool


def models_dir() -> Path:
    """Where checkpoints live: $VIDEOSEG_MODELS_DIR, else the user cache dir (not created here)."""
    override = os.environ.get(MODELS_DIR_ENV)
    if override:
        return Path(override).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("videoseg-desktop")) / "checkpoints"


def config_for(name_or_config: str) -> str:
    """Hydra config for a model name (official or imported) or an allowed config name.

    Never a path: anything not on the allow-list is refused with ModelError.
    """
    if not isinstance(name_or_config, str):
        raise ModelError(f"a model is named by text, not {type(name_or_config).__name__}")
    if name_or_config in CONFIGS:
        return CONFIGS[name_or_config]
    if name_or_config in ALLOWED_CONFIGS:
        return name_or_config
    if name_or_config.lower().endswith((".yaml", ".yml")) or not _IMPORTED_NAME.match(
        name_or_config
    ):
        raise ModelError(
            f"{_shown(name_or_config)} is not a model name: models are named (tiny, small, "
            "base_plus, large, or an imported name), never given as a config file or path"
        )
    imported = _read_sidecar(name_or_config)
    if imported is not None:
        return imported["config"]
    raise ModelError(
        f"unknown model {_shown(name_or_config)}; known models: {', '.join(known_models())}"
    )


def check_config(config: str) -> str:
    """``config`` if it is one of sam2's shipped configs, else ModelError (defence in depth)."""
    if config not in ALLOWED_CONFIGS:
        raise ModelError(f"{_shown(config)} is not one of the SAM 2.1 configs shipped with sam2")
    return config


def _shown(text: str) -> str:
    return repr(text if len(text) <= 80 else text[:77] + "...")


def model_for_config(config: str) -> str | None:
    """Official model name whose architecture ``config`` is (None for a custom config path)."""
    for name, spec in OFFICIAL_MODELS.items():
        if config in (name, spec.config):
            return name
    return None


def get_spec(name: str) -> ModelSpec:
    try:
        return OFFICIAL_MODELS[name]
    except KeyError:
        raise ModelError(
            f"unknown model {name!r}; downloadable models: {', '.join(OFFICIAL_MODELS)}"
        ) from None


def official_path(name: str) -> Path:
    """Where the official checkpoint for ``name`` is (or will be) stored."""
    return models_dir() / get_spec(name).filename


def imported_path(name: str) -> Path:
    return models_dir() / f"{name}.pt"


def find_checkpoint(name: str) -> Path | None:
    """Path of the checkpoint for model ``name`` if it is on disk, else None."""
    if name in OFFICIAL_MODELS:
        path = official_path(name)
    else:
        path = imported_path(name) if _read_sidecar(name) is not None else None
    return path if path is not None and path.is_file() else None


def missing_checkpoint_error(name: str) -> ModelError:
    """The error for a model that is not on disk, telling the user exactly how to get it."""
    if name in OFFICIAL_MODELS:
        spec = OFFICIAL_MODELS[name]
        return ModelError(
            f"the {name} model is not downloaded yet: run `videoseg models download {name}`, "
            f"or download {spec.url} by hand and save it as {official_path(name)}"
        )
    return ModelError(
        f"unknown model {name!r}; known models: {', '.join(known_models())} "
        "(import a fine-tuned checkpoint with `videoseg models import PATH`)"
    )


def known_models() -> list[str]:
    return list(OFFICIAL_MODELS) + [s.name for s in _imported_statuses()]


def list_models() -> list[ModelStatus]:
    """Official models (downloaded or not) followed by imported ones."""
    rows = []
    for name, spec in OFFICIAL_MODELS.items():
        path = official_path(name)
        rows.append(ModelStatus(name, spec.config, spec.size_bytes, path, path.is_file(), False))
    return rows + _imported_statuses()


def validate_imported_name(name: str) -> str:
    """Check a name for an imported model: a safe file stem that shadows no official model."""
    if not _IMPORTED_NAME.match(name):
        raise ModelError(
            f"invalid model name {name!r}: use letters, digits, '_', '-' or '.', at most 64"
        )
    taken = set(OFFICIAL_MODELS) | {Path(s.filename).stem for s in OFFICIAL_MODELS.values()}
    if name in taken:
        raise ModelError(f"{name!r} is the name of an official model; choose another --name")
    return name


def write_sidecar(name: str, config: str, source: str) -> Path:
    check_config(config)
    path = models_dir() / f"{name}.json"
    tmp = path.with_suffix(".json.part")
    tmp.write_text(json.dumps({"name": name, "config": config, "source": source}, indent=2))
    os.replace(tmp, path)
    return path


def _read_sidecar(name: str) -> dict | None:
    if not _IMPORTED_NAME.match(name):
        return None
    path = models_dir() / f"{name}.json"
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("config") not in ALLOWED_CONFIGS:
        return None  # a sidecar naming any other config is not ours: the model is unknown
    return data


def _imported_statuses() -> list[ModelStatus]:
    folder = models_dir()
    if not folder.is_dir():
        return []
    rows = []
    for sidecar in sorted(folder.glob("*.json")):
        data = _read_sidecar(sidecar.stem)
        if data is None:
            continue
        path = imported_path(sidecar.stem)
        present = path.is_file()
        size = path.stat().st_size if present else None
        rows.append(ModelStatus(sidecar.stem, data["config"], size, path, present, True))
    return rows
