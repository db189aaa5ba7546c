"""Building a SAM 2.1 model from a checkpoint in the official format ``{"model": state_dict}``,
validating checkpoints against an architecture, and importing fine-tuned ones.

Checkpoints are always read with ``torch.load(weights_only=True)``: a pickle that carries
arbitrary Python objects is refused instead of executed.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
from pathlib import Path

from videoseg_desktop.core.errors import ModelError
from videoseg_desktop.core.text import plural
from videoseg_desktop.inference.registry import (
    CONFIGS,
    OFFICIAL_MODELS,
    check_config,
    config_for,
    imported_path,
    model_for_config,
    official_path,
    validate_imported_name,
    write_sidecar,
)

__all__ = [
    "CONFIGS",
    "build_predictor",
    "detect_config",
    "expected_shapes",
    "import_checkpoint",
    "load_state_dict",
    "save_random_checkpoint",
    "validate_checkpoint",
    "validate_state_dict",
]


def build_predictor(config: str, checkpoint: Path | None, image_size: int, device: str):
    """Build a ``SAM2VideoPredictor`` (which also serves images) and load weights into it.

    ``config`` is a model name (official or imported) or one of sam2's shipped config names,
    never a path. ``checkpoint`` None keeps the random initialisation (tests only).
    """
    import torch

    predictor = _build_random(config_for(config), int(image_size))
    if checkpoint is not None:
        state = load_state_dict(Path(checkpoint))
        reference = {k: tuple(v.shape) for k, v in predictor.state_dict().items()}
        validate_state_dict(state, reference, Path(checkpoint), config)
        predictor.load_state_dict(state, strict=True)
    predictor.eval()
    # Memory attention and the memory encoder compute less for the same result (ADR 0019).
    from videoseg_desktop.inference.shared_batch import share_batch_inputs

    share_batch_inputs(predictor)
    return predictor.to(torch.device(device))


def _build_random(config_file: str, image_size: int):
    from sam2.build_sam import build_sam2_video_predictor

    # Only a config shipped in sam2 reaches Hydra, and the one override is a number.
    check_config(config_file)
    # Built on the CPU first: sam2 defaults to "cuda", and loading weights there is cheaper.
    predictor = build_sam2_video_predictor(
        config_file,
        None,
        device="cpu",
        hydra_overrides_extra=[f"++model.image_size={int(image_size)}"],
    )
    # No hole filling in sam2: it runs only where its CUDA extension is built (elsewhere it
    # warns on every tracking run and skips), so masks would differ between machines; our
    # OpenCV post-processing does it the same everywhere. sam2's own post-processing overrides
    # come after ours in Hydra, so the attribute is set here.
    predictor.fill_hole_area = 0
    return predictor


def load_state_dict(path: Path) -> dict:
    """Read a checkpoint safely (``weights_only``) and return its state dict."""
    return _load_checkpoint_file(Path(path))["model"]


def _load_checkpoint_file(path: Path) -> dict:
    """The whole checkpoint dict (``model`` plus whatever else training saved)."""
    import torch

    if not path.is_file():
        raise ModelError(f"checkpoint not found: {path}")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # any unreadable user file is a user error, whatever torch raises
        raise _load_failure(path, exc) from exc
    if not isinstance(data, dict) or not isinstance(data.get("model"), dict):
        raise ModelError(f'{path} is not in the SAM 2.1 checkpoint format {{"model": state_dict}}')
    if not all(isinstance(v, torch.Tensor) for v in data["model"].values()):
        raise ModelError(f"{path} holds non-tensor values in its state dict")
    _require_finite(data["model"], path)
    return data


def _load_failure(path: Path, exc: Exception) -> ModelError:
    """Our own words for torch's refusal: its advice to retry with ``weights_only=False`` is
    exactly what must never be done with a file from someone else."""
    text = str(exc)
    if "Weights only load failed" in text or type(exc).__name__ == "UnpicklingError":
        found = re.search(r"GLOBAL ([\w.]+)", text) or re.search(r"global:? ([\w.]+)", text)
        what = f" ({found.group(1)})" if found else ""
        return ModelError(
            f"{path} is not a loadable SAM 2.1 checkpoint: it is damaged or holds pickled Python "
            f"objects{what}, not only weights; refused, because loading it otherwise could run "
            "code (use a checkpoint saved as plain weights)"
        )
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    first = (lines or [""])[0].split(". ")[0]
    if not re.search(r"[A-Za-z]{3}", first):  # torch's KeyError '101' and the like
        first = "the file is damaged or is not a PyTorch checkpoint"
    return ModelError(f"{path} is not a loadable SAM 2.1 checkpoint: {first}")


def _require_finite(state: dict, path: Path) -> None:
    """NaN or infinite weights make every mask empty (stored over good ones): refuse them."""
    import torch

    for key, value in state.items():
        if value.is_floating_point() and not bool(torch.isfinite(value).all()):
            raise ModelError(
                f"{path} holds NaN or infinite weights ({key}); the checkpoint is damaged "
                "(a diverged training run?) and is not used"
            )


@functools.lru_cache(maxsize=4)
def expected_shapes(config: str) -> dict[str, tuple[int, ...]]:
    """Parameter names and shapes of an architecture (builds it once on the CPU, ~1-4 s)."""
    model = _build_random(config_for(config), 1024)
    return {k: tuple(v.shape) for k, v in model.state_dict().items()}


def validate_state_dict(
    state: dict, reference: dict[str, tuple[int, ...]], source: Path | str, config: str
) -> None:
    """Raise a ModelError naming what differs when ``state`` does not fit ``reference`` exactly."""
    label = model_for_config(config_for(config)) or config
    missing = sorted(set(reference) - set(state))
    unexpected = sorted(set(state) - set(reference))
    wrong_shape = [k for k in reference if k in state and tuple(state[k].shape) != reference[k]]
    if not (missing or unexpected or wrong_shape):
        return
    details = []
    if missing:
        details.append(f"{plural(len(missing), 'missing weight')} (e.g. {missing[0]})")
    if unexpected:
        details.append(f"{plural(len(unexpected), 'unexpected weight')} (e.g. {unexpected[0]})")
    if wrong_shape:
        k = wrong_shape[0]
        details.append(
            f"{plural(len(wrong_shape), 'weight')} of the wrong shape "
            f"(e.g. {k}: {tuple(state[k].shape)} instead of {reference[k]})"
        )
    raise ModelError(
        f"{source} does not match the {label} model: {'; '.join(details)}. "
        "Is it a SAM 2.1 checkpoint of another size (try another --config)?"
    )


def validate_checkpoint(path: Path, config: str) -> dict:
    """Load ``path`` safely and check that it fits ``config`` exactly; returns the state dict."""
    state = load_state_dict(Path(path))
    validate_state_dict(state, expected_shapes(config_for(config)), path, config)
    return state


def detect_config(state: dict) -> str | None:
    """The official model name whose architecture ``state`` fits exactly, or None."""
    # Filtering on the tensor count first avoids building architectures that cannot fit.
    for name, spec in OFFICIAL_MODELS.items():
        if spec.tensor_count != len(state):
            continue
        shapes = expected_shapes(spec.config)
        if len(shapes) == len(state) and all(
            k in state and tuple(state[k].shape) == s for k, s in shapes.items()
        ):
            return name
    return None


def import_checkpoint(path: Path, config_name: str | None = None, name: str | None = None) -> Path:
    """Copy a SAM 2.1 checkpoint (official or fine-tuned) into the models directory.

    The file must load with ``weights_only=True`` and fit the architecture ``config_name`` (an
    official model name; detected from the weights when None) exactly. It is then usable as
    model ``name`` (default: the file's stem). The official file itself, downloaded by hand and
    imported under its own name, becomes that official model's checkpoint.
    Returns the path of the stored checkpoint.
    """
    source = Path(path).expanduser()
    checkpoint = _load_checkpoint_file(source)
    state = checkpoint["model"]
    if config_name is None:
        config_name = detect_config(state)
        if config_name is None:
            raise ModelError(
                f"{source} fits none of the SAM 2.1 models ({', '.join(OFFICIAL_MODELS)}); "
                "pass --config if it is one of them, to see what differs"
            )
    config = config_for(config_name)
    validate_state_dict(state, expected_shapes(config), source, config_name)

    official = model_for_config(config)
    if name is None and official and source.name == OFFICIAL_MODELS[official].filename:
        dest = official_path(official)
        sidecar_name = None
    else:
        sidecar_name = validate_imported_name(name or _safe_stem(source))
        dest = imported_path(sidecar_name)
    if dest.exists():
        raise ModelError(f"{dest} already exists; choose another --name or delete it first")

    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    if set(checkpoint) == {"model"}:
        shutil.copyfile(source, part)  # byte-identical copy of a weights-only file
    else:
        import torch

        torch.save({"model": state}, part)  # drop optimizer state and the like
    os.replace(part, dest)
    if sidecar_name is not None:
        write_sidecar(sidecar_name, config, str(source.resolve()))
    return dest


def _safe_stem(path: Path) -> str:
    stem = "".join(c if c.isalnum() or c in "_-." else "_" for c in path.stem).strip("._-")
    return stem[:64] or "imported"


def save_random_checkpoint(
    path: Path, config: str = "tiny", image_size: int = 256, seed: int = 0
) -> Path:
    """Save a randomly initialised model in the official format (tests and benchmarks)."""
    import torch

    torch.manual_seed(seed)
    predictor = build_predictor(config, None, image_size, "cpu")
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"model": predictor.state_dict()}, path)
    return path
