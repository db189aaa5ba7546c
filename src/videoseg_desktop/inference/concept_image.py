"""Every instance of a concept on an image (SAM 3): a phrase and/or example boxes -> masks.

``ConceptImageSession.find`` runs transformers' ``Sam3Model`` on one image and returns every
instance scoring above a threshold, as plain data (RLE, score, box), after our OpenCV clean-up
(the same as for SAM 2.1 masks). Compared with calling the model and
``Sam3Processor.post_process_instance_segmentation`` by hand it:

- encodes each concept text once per session, not once per image (the text encoder is 350 M
  parameters; a folder of 5,000 images reuses one encoding);
- scales only the kept masks to full resolution, a few at a time and as booleans (the
  processor scales all kept masks at once as floats, then converts them to 64-bit integers:
  gigabytes for a 4K image with many instances).

The masks are the same as the processor's (the tests compare them).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from videoseg_desktop.core.concepts import ConceptPrompt, Exemplar, FoundInstance
from videoseg_desktop.core.errors import ModelError
from videoseg_desktop.inference.device import out_of_memory_guard
from videoseg_desktop.inference.preprocess import as_rgb

DEFAULT_THRESHOLD = 0.5
MASK_THRESHOLD = 0.5  # on the mask probabilities, as transformers' post-processing
RESIZE_CHUNK = 8  # masks scaled to full resolution at once
VISUAL_TEXT = "visual"  # what Sam3Processor uses as the text when only boxes are given


@dataclass(frozen=True)
class ConceptImageResult:
    instances: list[FoundInstance]  # best score first
    elapsed_s: float
    encode_text_s: float = 0.0  # 0 when the text encoding came from the session's cache


class ConceptImageSession:
    """Concept search on single images (or single video frames) with one SAM 3 model.

    Thread-safe: model calls hold ``model_lock``. ``postprocessing`` (our hole/island clean-up)
    is applied to every mask; None keeps the model's masks as they are.
    """

    def __init__(
        self,
        model: Any,
        processor: Any,
        *,
        device: str = "cpu",
        dtype: Any = None,
        postprocessing: Any = None,
        model_lock: threading.RLock | None = None,
    ) -> None:
        self.model = model
        self.processor = processor
        self.device = device
        self.dtype = dtype
        self.postprocessing = postprocessing
        self.model_lock = model_lock or threading.RLock()
        self._texts: dict[str, tuple[Any, Any]] = {}  # text -> (embeddings, attention mask)

    def find(
        self,
        image: np.ndarray,
        prompt: ConceptPrompt | str,
        threshold: float = DEFAULT_THRESHOLD,
        exemplars: Sequence[Exemplar] | None = None,
    ) -> ConceptImageResult:
        """Every instance of ``prompt`` on ``image`` scoring above ``threshold``.

        ``exemplars`` are the example boxes on this very image (default: the prompt's own, all
        of them: pass ``prompt.exemplars_on(media, frame)`` when the prompt spans media).
        """
        import torch

        start = time.perf_counter()
        if isinstance(prompt, str):
            prompt = ConceptPrompt(text=prompt)
        boxes = list(prompt.exemplars if exemplars is None else exemplars)
        if prompt.text is None and not boxes:
            raise ModelError("a concept search needs a text or an example box on this image")
        if not 0.0 <= float(threshold) <= 1.0:
            raise ModelError(f"the score threshold must be within 0 and 1, not {threshold}")
        rgb = as_rgb(image)
        height, width = rgb.shape[:2]
        _check_boxes(boxes, width, height)
        with self.model_lock, torch.inference_mode():
            text_s = time.perf_counter()
            embeds, attention, encoded = self._text(prompt.text or VISUAL_TEXT)
            text_s = time.perf_counter() - text_s if encoded else 0.0
            inputs = self._inputs(rgb, boxes)
            with out_of_memory_guard(self.device, "finding a concept"):
                outputs = self.model(
                    pixel_values=inputs["pixel_values"],
                    text_embeds=embeds,
                    attention_mask=attention,
                    input_boxes=inputs.get("input_boxes"),
                    input_boxes_labels=inputs.get("input_boxes_labels"),
                )
            instances = self._instances(outputs, float(threshold), height, width)
        return ConceptImageResult(instances, time.perf_counter() - start, text_s)

    def forget_texts(self) -> None:
        self._texts.clear()

    # -- internals --------------------------------------------------------------------------

    def _text(self, text: str) -> tuple[Any, Any, bool]:
        cached = self._texts.get(text)
        if cached is not None:
            return cached[0], cached[1], False
        tokens = self.processor.tokenizer(
            text, return_tensors="pt", padding="max_length", max_length=32
        ).to(self.device)
        embeds = self.model.get_text_features(
            input_ids=tokens["input_ids"], attention_mask=tokens["attention_mask"], return_dict=True
        )
        self._texts[text] = (embeds, tokens["attention_mask"])
        return embeds, tokens["attention_mask"], True

    def _inputs(self, rgb: np.ndarray, boxes: list[Exemplar]) -> dict:
        kwargs = {}
        if boxes:
            corners = [e.box.normalized() for e in boxes]
            kwargs["input_boxes"] = [[[b.x0, b.y0, b.x1, b.y1] for b in corners]]
            kwargs["input_boxes_labels"] = [[1 if e.positive else 0 for e in boxes]]
        batch = self.processor(images=rgb, return_tensors="pt", **kwargs)
        out = {"pixel_values": batch["pixel_values"].to(self.device)}
        if self.dtype is not None:
            out["pixel_values"] = out["pixel_values"].to(self.dtype)
        if boxes:
            out["input_boxes"] = batch["input_boxes"].to(self.device)
            out["input_boxes_labels"] = batch["input_boxes_labels"].to(self.device)
        return out

    def _instances(self, outputs, threshold: float, height: int, width: int) -> list[FoundInstance]:
        import torch
        import torch.nn.functional as F

        scores = outputs.pred_logits[0].float().sigmoid()
        if outputs.presence_logits is not None:
            scores = scores * outputs.presence_logits[0].float().sigmoid()
        keep = torch.nonzero(scores > threshold).flatten()
        keep = keep[torch.argsort(scores[keep], descending=True, stable=True)]
        probs = outputs.pred_masks[0][keep].float().sigmoid()
        found = []
        for first in range(0, len(keep), RESIZE_CHUNK):
            chunk = F.interpolate(
                probs[first : first + RESIZE_CHUNK].unsqueeze(0),
                size=(height, width),
                mode="bilinear",
                align_corners=False,
            )[0]
            masks = (chunk > MASK_THRESHOLD).cpu().numpy()
            for k, mask in enumerate(masks):
                if self.postprocessing is not None:
                    mask = self.postprocessing.apply(mask)
                if not mask.any():
                    continue
                score = float(scores[keep[first + k]])
                found.append(FoundInstance.from_mask(mask, score))
        return found


def _check_boxes(boxes: Sequence[Exemplar], width: int, height: int) -> None:
    for e in boxes:
        b = e.box.normalized()
        if b.x1 - b.x0 < 1 or b.y1 - b.y0 < 1:
            raise ModelError(f"the example box {b.x0:g},{b.y0:g},{b.x1:g},{b.y1:g} is empty")
        if b.x0 < 0 or b.y0 < 0 or b.x1 > width or b.y1 > height:
            raise ModelError(
                f"the example box {b.x0:g},{b.y0:g},{b.x1:g},{b.y1:g} lies outside the "
                f"{width}x{height} image"
            )
