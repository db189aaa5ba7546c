"""What every window of the application shares: one inference client, the preferences and the
command-line overrides."""

from __future__ import annotations

import os
from dataclasses import dataclass

from PySide6.QtCore import QObject

from videoseg_desktop.ui.inference.inference_client import InferenceClient
from videoseg_desktop.ui.inference.inference_jobs import ModelConfig
from videoseg_desktop.ui.project.preferences import Preferences

CHECKPOINT_ENV = "VIDEOSEG_CHECKPOINT"
IMAGE_SIZE_ENV = "VIDEOSEG_IMAGE_SIZE"
MODEL_ENV = "VIDEOSEG_MODEL"
DEVICE_ENV = "VIDEOSEG_DEVICE"


@dataclass(frozen=True)
class AppOptions:
    """Overrides from the command line or the environment (tests, benchmarks, power users)."""

    model: str | None = None
    checkpoint: str | None = None
    image_size: int | None = None
    device: str | None = None

    @classmethod
    def from_env(cls, **given) -> AppOptions:
        size = given.get("image_size") or os.environ.get(IMAGE_SIZE_ENV)
        return cls(
            model=given.get("model") or os.environ.get(MODEL_ENV) or None,
            checkpoint=given.get("checkpoint") or os.environ.get(CHECKPOINT_ENV) or None,
            image_size=int(size) if size else None,
            device=given.get("device") or os.environ.get(DEVICE_ENV) or None,
        )


SIZES = ("auto", 256, 512, 1024)
KNOWN_PRECISIONS = ("auto", "fp32", "bf16", "int8")  # inference.device.PRECISIONS


def initial_config(options: AppOptions, preferences: Preferences) -> ModelConfig:
    """Command line first, then what the user last chose in the model panel, then defaults.

    The input size stays "auto" (chosen from the device at load: 512 on a CPU, 1024 on a GPU)
    until the user picks one; the checkpoint is the file chosen for that model, if any.
    """
    saved = preferences.get("model", {}) or {}
    if not isinstance(saved, dict):
        saved = {}
    size = saved.get("image_size")
    model = options.model or saved.get("model") or "tiny"
    device = options.device or saved.get("device") or None
    return ModelConfig(
        model=model if isinstance(model, str) else "tiny",
        checkpoint=options.checkpoint or preferences.checkpoint_for(str(model)),
        image_size=options.image_size or (size if size in SIZES else "auto"),
        device=device if isinstance(device, str) else None,
        # Preferences are a file too: anything but a known precision means the default.
        precision=saved.get("precision") if saved.get("precision") in KNOWN_PRECISIONS else "auto",
    )


class AppContext(QObject):
    def __init__(
        self,
        options: AppOptions | None = None,
        preferences: Preferences | None = None,
        client: InferenceClient | None = None,
        parent: QObject | None = None,
    ):
        super().__init__(parent)
        self.options = options or AppOptions()
        self.preferences = preferences or Preferences()
        self.client = client or InferenceClient(initial_config(self.options, self.preferences))
        self._owns_client = client is None
        self.windows: list = []

    def remember_checkpoint(self, model: str, path: str) -> None:
        self.preferences.remember_checkpoint(model, path)

    def remember_model(self, config: ModelConfig) -> None:
        self.preferences.set(
            "model",
            {
                "model": config.model,
                "image_size": config.image_size,
                "device": config.device,
                "precision": config.precision,
            },
        )

    def shutdown(self) -> None:
        if self._owns_client:
            self.client.shutdown()
