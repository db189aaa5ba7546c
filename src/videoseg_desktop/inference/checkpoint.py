"""Building a SAM 2.1 model from a checkpoint in the official format ``{"model": state_dict}``."""

from __future__ import annotations

from pathlib import Path

from videoseg_desktop.core.errors import ModelError

# Hydra config names inside the sam2 package, by model name.
CONFIGS = {
    "tiny": "configs/sam2.1/sam2.1_hiera_t.yaml",
    "small": "configs/sam2.1/sam2.1_hiera_s.yaml",
    "base_plus": "configs/sam2.1/sam2.1_hiera_b+.yaml",
    "large": "configs/sam2.1/sam2.1_hiera_l.yaml",
}


def build_predictor(config: str, checkpoint: Path | None, image_size: int, device: str):
    """Build a ``SAM2VideoPredictor`` (which also serves images) and load weights into it.

    ``config`` is a model name from CONFIGS or a sam2 config path. ``checkpoint`` None keeps the
    random initialisation (tests only).
    """
    import torch
    from sam2.build_sam import build_sam2_video_predictor

    config_file = CONFIGS.get(config, config)
    predictor = build_sam2_video_predictor(
        config_file,
        None,
        device="cpu",
        hydra_overrides_extra=[f"++model.image_size={int(image_size)}"],
    )
    if checkpoint is not None:
        state = load_state_dict(Path(checkpoint))
        missing, unexpected = predictor.load_state_dict(state, strict=False)
        if missing or unexpected:
            raise ModelError(
                f"{checkpoint} does not match the {config} model "
                f"({len(missing)} missing, {len(unexpected)} unexpected weights)"
            )
    predictor.eval()
    return predictor.to(torch.device(device))


def load_state_dict(path: Path) -> dict:
    """Read a checkpoint safely (``weights_only``) and return its state dict."""
    import pickle

    import torch

    if not path.is_file():
        raise ModelError(f"checkpoint not found: {path}")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError) as exc:
        raise ModelError(
            f"{path} is not a loadable SAM 2.1 checkpoint: {str(exc).splitlines()[0]}"
        ) from exc
    if not isinstance(data, dict) or not isinstance(data.get("model"), dict):
        raise ModelError(f'{path} is not in the SAM 2.1 checkpoint format {{"model": state_dict}}')
    return data["model"]


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
