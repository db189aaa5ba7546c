"""The SAM 3 engine: one loaded model that serves concept image sessions and video sessions.

Loading is the only way a SAM 3 model gets into memory: from an installed model folder (see
``sam3_registry.py``), checked again here, with ``from_pretrained(local_files_only=True,
use_safetensors=True)`` and without ``trust_remote_code``, so nothing but transformers' own SAM
3 code runs and only safetensors weights are read. A ``sam3_video`` folder (the official one)
gives both sessions from one copy of the weights (images use its detector); a ``sam3`` folder
gives images only. Like ``SamEngine`` (SAM 2.1), the application holds one engine, owned by
the GUI's inference worker thread, and asks it for sessions.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from videoseg_desktop.core.errors import ModelError
from videoseg_desktop.inference.concept_image import ConceptImageSession
from videoseg_desktop.inference.device import (
    autocast,
    choose_device,
    configure_backend,
    describe_device,
    out_of_memory_guard,
    resolve_precision,
)
from videoseg_desktop.inference.postprocess import PostProcessing
from videoseg_desktop.inference.sam3_registry import (
    OFFICIAL_SAM3,
    find_sam3_model,
    missing_sam3_error,
    model_id,
    require_sam3_libraries,
)

PATCH = 14  # SAM 3's ViT patch size: input sizes are multiples of it
MIN_IMAGE_SIZE, MAX_IMAGE_SIZE = 56, 2016


def check_concept_image_size(image_size: int) -> int:
    size = int(image_size)
    if size % PATCH or not MIN_IMAGE_SIZE <= size <= MAX_IMAGE_SIZE:
        raise ModelError(
            f"unsupported SAM 3 input size {image_size}: use a multiple of {PATCH} from "
            f"{MIN_IMAGE_SIZE} to {MAX_IMAGE_SIZE} (1008 is what SAM 3 was trained at)"
        )
    return size


class ConceptEngine:
    """One SAM 3 model on one device. Build it with :meth:`load`."""

    def __init__(
        self,
        *,
        image_model: Any,
        processor: Any,
        video_model: Any = None,
        video_processor: Any = None,
        device: str,
        precision: str,
        image_size: int,
        model_name: str,
        folder: Path | None,
        load_s: float = 0.0,
    ) -> None:
        self.image_model = image_model
        self.processor = processor
        self.video_model = video_model
        self.video_processor = video_processor
        self.device = device
        self.precision = precision
        self.image_size = int(image_size)
        self.model_name = model_name
        self.folder = folder
        self.load_s = load_s
        # Serialises model calls between sessions (the GUI's worker may interleave jobs).
        self.model_lock = threading.RLock()

    @classmethod
    def load(
        cls,
        model: str = OFFICIAL_SAM3,
        *,
        folder: Path | None = None,
        image_size: int | None = None,
        device: str | None = None,
        precision: str = "auto",
    ) -> ConceptEngine:
        """Load installed SAM 3 model ``model`` (or the model folder ``folder``, tests).

        ``image_size`` overrides the model's input size (1008 for SAM 3); smaller is faster
        and coarser. Raises ModelError with the way to get the model when it is missing.
        """
        require_sam3_libraries()
        import torch
        from transformers import (
            Sam3Config,
            Sam3Model,
            Sam3Processor,
            Sam3VideoConfig,
            Sam3VideoModel,
            Sam3VideoProcessor,
        )
        from transformers.utils import logging as hf_logging

        from videoseg_desktop.inference.sam3_files import check_folder

        # transformers' own progress bars and hints (e.g. "install kernels") are not for users.
        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        if folder is None:
            folder = find_sam3_model(model)
            if folder is None:
                raise missing_sam3_error(model)
        else:
            folder = Path(folder)
        check = check_folder(folder, check_weights=False)  # the files may have changed since
        model_type = check.model_type
        device = choose_device(device)
        configure_backend(device)
        precision = resolve_precision(device, precision)
        dtype = torch.bfloat16 if precision == "bf16" else torch.float32
        video = model_type == "sam3_video"
        config = (Sam3VideoConfig if video else Sam3Config).from_pretrained(
            str(folder), local_files_only=True
        )
        size = check_concept_image_size(image_size or config.image_size)
        if size != config.image_size:
            config.image_size = size  # propagates to the detector and the tracker
            if video:
                config.low_res_mask_size = 4 * size // PATCH
        options = {
            "config": config,
            "local_files_only": True,
            "use_safetensors": True,
            "trust_remote_code": False,
            "dtype": dtype,
        }
        sizes = {"size": {"height": size, "width": size}}
        start = time.perf_counter()
        with out_of_memory_guard(device, f"loading the {model} model"):
            try:
                if video:
                    video_model = Sam3VideoModel.from_pretrained(str(folder), **options)
                    video_processor = Sam3VideoProcessor.from_pretrained(
                        str(folder), local_files_only=True, **sizes
                    )
                    video_model = video_model.to(device).eval()
                    image_model = video_model.detector_model
                    processor = Sam3Processor(
                        image_processor=video_processor.image_processor,
                        tokenizer=video_processor.tokenizer,
                    )
                else:
                    video_model = video_processor = None
                    image_model = (
                        Sam3Model.from_pretrained(str(folder), **options).to(device).eval()
                    )
                    processor = Sam3Processor.from_pretrained(
                        str(folder), local_files_only=True, **sizes
                    )
            except ModelError:
                raise
            except (OSError, ValueError, KeyError, RuntimeError) as exc:
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                raise ModelError(f"cannot load the SAM 3 model in {folder}: {first}") from exc
        return cls(
            image_model=image_model,
            processor=processor,
            video_model=video_model,
            video_processor=video_processor,
            device=device,
            precision=precision,
            image_size=size,
            model_name=model,
            folder=Path(folder),
            load_s=time.perf_counter() - start,
        )

    @property
    def model_id(self) -> str:
        """What masks record as their model: ``sam3@1008``."""
        return model_id(self.model_name, self.image_size)

    @property
    def handles_video(self) -> bool:
        return self.video_model is not None

    @property
    def dtype(self):
        return next(self.image_model.parameters()).dtype

    def autocast(self):
        return autocast(self.device, "fp32")  # weights are loaded in the chosen precision

    def image_session(self, postprocessing: PostProcessing | None = None) -> ConceptImageSession:
        """A concept image session (its text encodings are cached for the session's life)."""
        return ConceptImageSession(
            self.image_model,
            self.processor,
            device=self.device,
            dtype=self.dtype,
            postprocessing=postprocessing or PostProcessing(),
            model_lock=self.model_lock,
        )

    def video_session(self, frames: Any, spill_dir: Path | None = None, **options: Any):
        """A concept video session on ``frames`` (a FrameSource); options as ConceptVideoSession."""
        from videoseg_desktop.inference.concept_video import ConceptVideoSession

        if not self.handles_video:
            raise ModelError(
                f"the {self.model_name} model finds concepts on images only (its folder holds a "
                "'sam3' model, not 'sam3_video'); use the official SAM 3 for videos"
            )
        options.setdefault("postprocessing", PostProcessing())
        return ConceptVideoSession(
            self.video_model,
            self.video_processor,
            frames,
            spill_dir,
            device=self.device,
            dtype=self.dtype,
            model_lock=self.model_lock,
            **options,
        )

    def describe(self) -> dict:
        info = {
            "model": self.model_name,
            "model_id": self.model_id,
            "family": "sam3",
            "folder": str(self.folder) if self.folder else None,
            "image_size": self.image_size,
            "precision": self.precision,
            "video": self.handles_video,
            "load_s": round(self.load_s, 3),
        }
        info.update(describe_device(self.device))
        return info
