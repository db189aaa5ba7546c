"""The engine: one loaded SAM 2.1 model that serves image sessions and video sessions.

Loading costs seconds and hundreds of MB, so the application holds exactly one engine (owned by
the inference worker thread in the GUI) and asks it for sessions. The predictor is a
``SAM2VideoPredictor``; image sessions drive its encoder and decoder directly.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from videoseg_desktop.core.errors import ModelError
from videoseg_desktop.inference.device import (
    AUTO_SIZE,
    autocast,
    check_image_size,
    choose_device,
    configure_backend,
    describe_device,
    out_of_memory_guard,
    resolve_image_size,
    resolve_precision,
)
from videoseg_desktop.inference.image_session import DEFAULT_CACHE_BYTES, ImageSession
from videoseg_desktop.inference.postprocess import PostProcessing
from videoseg_desktop.inference.registry import (
    DEFAULT_MODEL,
    config_for,
    find_checkpoint,
    missing_checkpoint_error,
    model_for_config,
)


class SamEngine:
    """One SAM 2.1 predictor on one device. Build it with :meth:`load`."""

    def __init__(
        self,
        predictor,
        *,
        device: str,
        image_size: int,
        model_name: str,
        config: str,
        checkpoint: Path | None,
        precision: str = "fp32",
        load_s: float = 0.0,
    ) -> None:
        self.predictor = predictor
        self.device = device
        self.image_size = int(image_size)
        self.model_name = model_name
        self.config = config
        self.checkpoint = checkpoint
        self.precision = precision
        self.load_s = load_s
        # Serialises model calls between sessions (image clicks, precompute, video propagation).
        self.model_lock = threading.RLock()
        self._image_session: ImageSession | None = None

    @classmethod
    def load(
        cls,
        model: str = DEFAULT_MODEL,
        checkpoint: Path | None = None,
        image_size: int | str = 1024,
        device: str | None = None,
        precision: str = "auto",
    ) -> SamEngine:
        """Load ``model`` (official or imported name) from ``checkpoint`` or the models dir.

        ``checkpoint`` overrides where the weights come from; ``model`` still names the
        architecture. ``image_size`` "auto" picks it from the device (512 on a CPU, 1024 on a
        GPU). Raises ModelError (with the download hint) when no checkpoint is on disk.
        """
        from videoseg_desktop.inference.checkpoint import build_predictor

        if image_size != AUTO_SIZE:
            image_size = check_image_size(image_size)
        config = config_for(model)
        if checkpoint is None:
            checkpoint = find_checkpoint(model)
            if checkpoint is None:
                raise missing_checkpoint_error(model)
        checkpoint = Path(checkpoint)
        if not checkpoint.is_file():
            raise ModelError(f"checkpoint not found: {checkpoint}")
        device = choose_device(device)
        image_size = resolve_image_size(image_size, device)
        configure_backend(device)
        precision = resolve_precision(device, precision)
        start = time.perf_counter()
        with out_of_memory_guard(device, f"loading the {model} model"):
            predictor = build_predictor(config, checkpoint, image_size, device)
            if precision == "int8":
                from videoseg_desktop.inference.quantize import quantize_image_encoder

                quantize_image_encoder(predictor)
        return cls(
            predictor,
            device=device,
            image_size=image_size,
            model_name=model,
            config=config,
            checkpoint=checkpoint,
            precision=precision,
            load_s=time.perf_counter() - start,
        )

    @property
    def model_id(self) -> str:
        """What masks record as their model: ``sam2.1_tiny@1024``, ``my-finetune@1024``."""
        return model_id_for(self.model_name, self.image_size, self.config)

    def autocast(self):
        """The precision context every model call of this engine runs under."""
        return autocast(self.device, self.precision)

    def image_session(
        self,
        *,
        cache_bytes: int | None = None,
        postprocessing: PostProcessing | None = None,
    ) -> ImageSession:
        """The engine's image session (one, shared, so its embedding cache is shared too).

        Passing options replaces it with a new session configured that way.
        """
        if self._image_session is None or cache_bytes is not None or postprocessing is not None:
            self._image_session = ImageSession(
                self.predictor,
                self.device,
                self.image_size,
                precision=self.precision,
                cache_bytes=DEFAULT_CACHE_BYTES if cache_bytes is None else cache_bytes,
                postprocessing=postprocessing,
                model_lock=self.model_lock,
            )
        return self._image_session

    def describe(self) -> dict:
        """Model, weights, device and memory, for the status bar and ``videoseg`` output."""
        info = {
            "model": self.model_name,
            "model_id": self.model_id,
            "config": self.config,
            "checkpoint": str(self.checkpoint) if self.checkpoint else None,
            "image_size": self.image_size,
            "precision": self.precision,
            "load_s": round(self.load_s, 3),
        }
        info.update(describe_device(self.device))
        if self._image_session is not None:
            info["cached_embeddings"] = len(self._image_session.cache)
            info["cached_embedding_bytes"] = self._image_session.cache.nbytes
        return info


def model_id_for(model: str, image_size: int, config: str | None = None) -> str:
    """The id masks of ``model`` at ``image_size`` record, known before loading it (a re-run
    looks up what it did by this id)."""
    config = config or config_for(model)
    official = model_for_config(config)
    if official and (model == official or model.endswith(".yaml")):
        return f"sam2.1_{official}@{image_size}"
    return f"{model}@{image_size}"
