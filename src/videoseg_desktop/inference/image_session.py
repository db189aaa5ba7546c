"""Click-to-mask on single images (or single video frames) with a cached image embedding.

The expensive part, encoding an image, happens once per image (``precompute``, typically on the
GUI's inference worker thread as soon as an image is shown); every click then only runs the small
prompt encoder and mask decoder on the cached features. The session keeps no per-object state:
the caller passes each object's prompts (and, for a refinement, the previous result's logits) on
every call, so any number of objects can be segmented on the same image.

This re-implements what ``SAM2ImagePredictor.set_image``/``predict`` do (that module imports
torchvision, which cannot load next to CPU torch), using the ``SAM2VideoPredictor`` the engine
already holds, so one model serves images and video.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from videoseg_desktop.core.errors import ModelError
from videoseg_desktop.core.masks import Rle, encode_rle
from videoseg_desktop.core.prompts import Box, Point, PromptSet
from videoseg_desktop.inference.device import autocast, out_of_memory_guard
from videoseg_desktop.inference.postprocess import PostProcessing
from videoseg_desktop.inference.preprocess import (
    as_rgb,
    image_to_tensor,
    mask_to_logits,
    prompt_arrays,
)

DEFAULT_CACHE_BYTES = 512 * 1024 * 1024  # ~32 images at 1024 px (16 MiB each in fp32)


class EncodingAbandoned(Exception):
    """A preemptible encoding stopped because someone else needs the model (docs/adr/0012).

    Not a VideoSegError: nothing failed, the caller simply runs it again later.
    """


@dataclass(frozen=True, eq=False)  # arrays inside: compare fields explicitly
class ImageResult:
    mask: np.ndarray  # bool, H x W of the source image, after post-processing
    rle: Rle
    score: float  # the model's predicted IoU of the chosen mask
    logits: np.ndarray  # float32 1 x L x L (L = image_size / 4): pass back as ``prior``
    elapsed_s: float  # the whole call, encoding included when it was not cached
    encode_s: float = 0.0  # 0 when the embedding came from the cache


@dataclass(frozen=True, eq=False)
class ImageEmbedding:
    """The image encoder's output for one image, as the mask decoder consumes it."""

    image_embed: object  # torch.Tensor 1 x 256 x S/16 x S/16
    high_res_feats: tuple  # torch.Tensors 1 x 32 x S/4 x S/4, 1 x 64 x S/8 x S/8
    orig_hw: tuple[int, int]
    nbytes: int
    encode_s: float


class EmbeddingCache:
    """LRU of image embeddings bounded by their total size in bytes; thread-safe.

    An embedding larger than the whole budget is still kept, alone: caching nothing would make
    every click re-encode.
    """

    def __init__(self, budget_bytes: int = DEFAULT_CACHE_BYTES) -> None:
        self.budget_bytes = int(budget_bytes)
        self._items: OrderedDict[Hashable, ImageEmbedding] = OrderedDict()
        self._nbytes = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> ImageEmbedding | None:
        with self._lock:
            item = self._items.get(key)
            if item is not None:
                self._items.move_to_end(key)
            return item

    def put(self, key: Hashable, item: ImageEmbedding) -> None:
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._nbytes -= old.nbytes
            self._items[key] = item
            self._nbytes += item.nbytes
            while self._nbytes > self.budget_bytes and len(self._items) > 1:
                _, evicted = self._items.popitem(last=False)
                self._nbytes -= evicted.nbytes

    def discard(self, key: Hashable) -> None:
        with self._lock:
            item = self._items.pop(key, None)
            if item is not None:
                self._nbytes -= item.nbytes

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._nbytes = 0

    def keys(self) -> list[Hashable]:
        with self._lock:
            return list(self._items)

    @property
    def nbytes(self) -> int:
        return self._nbytes

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._items

    def __len__(self) -> int:
        return len(self._items)


class ImageSession:
    """Prompted segmentation of images with one shared SAM 2.1 model.

    Thread-safety: every method may be called from any thread. Model calls are serialised by
    ``model_lock`` (shared with the engine's other sessions); the GUI calls everything from its
    single inference worker thread, and the CLI and tests from the main thread.
    """

    def __init__(
        self,
        predictor,
        device: str,
        image_size: int,
        *,
        precision: str = "fp32",
        cache_bytes: int = DEFAULT_CACHE_BYTES,
        postprocessing: PostProcessing | None = None,
        model_lock: threading.RLock | None = None,
    ) -> None:
        self.predictor = predictor
        self.device = device
        self.image_size = int(image_size)
        self.precision = precision
        self.cache = EmbeddingCache(cache_bytes)
        self.postprocessing = postprocessing or PostProcessing()
        self.model_lock = model_lock or threading.RLock()
        self._dense_pe = None  # the decoder's positional encoding: constant, so made once

    @property
    def low_res_size(self) -> int:
        """Side of the decoder's low-resolution logits (256 at image_size 1024)."""
        return self.image_size // 4

    # -- embeddings -------------------------------------------------------------------------

    def precompute(
        self,
        key: Hashable,
        image: np.ndarray,
        should_yield: Callable[[], bool] | None = None,
    ) -> bool:
        """Encode ``image`` under ``key`` unless cached; True when it was encoded now.

        In the GUI this runs on the inference worker thread, ahead of the first click.
        ``should_yield`` makes it preemptible: it is asked before each layer of the image
        encoder, and once it answers True the encoding stops there and raises
        EncodingAbandoned (nothing is cached; the model is untouched and ready for the click).
        """
        return self._embedding(key, image, should_yield)[1]

    def has_embedding(self, key: Hashable) -> bool:
        return key in self.cache

    def forget(self, key: Hashable) -> None:
        self.cache.discard(key)

    def _embedding(
        self,
        key: Hashable,
        image: np.ndarray | None,
        should_yield: Callable[[], bool] | None = None,
    ) -> tuple[ImageEmbedding, bool]:
        cached = self.cache.get(key)
        if cached is not None:
            return cached, False
        if image is None:
            raise ModelError(f"no image embedding for {key!r}: pass the image")
        with self.model_lock:
            cached = self.cache.get(key)  # another thread may have encoded it meanwhile
            if cached is not None:
                return cached, False
            embedding = self._encode(image, should_yield)
            self.cache.put(key, embedding)
            return embedding, True

    def _encode(
        self, image: np.ndarray, should_yield: Callable[[], bool] | None = None
    ) -> ImageEmbedding:
        import torch

        rgb = as_rgb(image)
        start = time.perf_counter()
        model = self.predictor
        if should_yield is not None and should_yield():
            raise EncodingAbandoned("the model is wanted elsewhere")
        with (
            # Cached embeddings are what fills a GPU over time: drop them to make room.
            out_of_memory_guard(self.device, "encoding the image", on_oom=self.cache.clear),
            torch.inference_mode(),
            autocast(self.device, self.precision),
            _yield_points(model, should_yield),
        ):
            batch = image_to_tensor(rgb, self.image_size, self.device)
            backbone_out = model.forward_image(batch)
            _, feats, _, sizes = model._prepare_backbone_features(backbone_out)
            if model.directly_add_no_mem_embed:  # as sam2 does for frames without memory
                feats[-1] = feats[-1] + model.no_mem_embed
            # (HW)xBxC back to BxCxHxW, finest level first.
            maps = [
                f.permute(1, 2, 0).reshape(1, -1, h, w)
                for f, (h, w) in zip(feats, sizes, strict=True)
            ]
        if self.device.startswith("cuda"):
            torch.cuda.synchronize()
        nbytes = sum(m.numel() * m.element_size() for m in maps)
        return ImageEmbedding(
            image_embed=maps[-1],
            high_res_feats=tuple(maps[:-1]),
            orig_hw=(int(rgb.shape[0]), int(rgb.shape[1])),
            nbytes=int(nbytes),
            encode_s=time.perf_counter() - start,
        )

    # -- prediction -------------------------------------------------------------------------

    def predict(
        self,
        key: Hashable,
        image: np.ndarray | None,
        points: Sequence[Point] = (),
        box: Box | None = None,
        prior: ImageResult | np.ndarray | None = None,
        *,
        mask_prompt: np.ndarray | None = None,
        multimask: bool | None = None,
    ) -> ImageResult:
        """Segment one object on the image cached under ``key`` (``image`` encodes it if not).

        ``points``/``box`` are in source-image pixels. ``prior`` is the previous result (or its
        ``logits``) for this object, to refine it; ``mask_prompt`` is a full-resolution boolean
        mask (e.g. hand-edited) used as the mask prompt instead. ``multimask`` None means: three
        candidates and the best by predicted IoU for an ambiguous first click (one point, no
        box, no prior), a single mask otherwise.
        """
        start = time.perf_counter()
        if prior is not None and mask_prompt is not None:
            raise ValueError("pass either a prior result or a mask prompt, not both")
        embedding, encoded = self._embedding(key, image)
        h, w = embedding.orig_hw
        points = list(points)
        _check_inside(points, box, w, h)
        mask_logits = None
        if mask_prompt is not None:
            if np.shape(mask_prompt) != (h, w):
                raise ModelError(f"mask prompt is {np.shape(mask_prompt)}, the image is {(h, w)}")
            mask_logits = mask_to_logits(mask_prompt, self.low_res_size)
        elif prior is not None:
            mask_logits = self._prior_logits(prior)
        prompt = prompt_arrays(points, box, (h, w), self.image_size)
        if prompt is None and mask_logits is None:
            raise ModelError("give at least one point, a box or a mask to segment")
        if multimask is None:
            multimask = len(points) == 1 and box is None and mask_logits is None

        with self.model_lock:
            mask, score, logits = self._decode(embedding, prompt, mask_logits, multimask)
        mask = self.postprocessing.apply(mask)
        return ImageResult(
            mask=mask,
            rle=encode_rle(mask),
            score=score,
            logits=logits,
            elapsed_s=time.perf_counter() - start,
            encode_s=embedding.encode_s if encoded else 0.0,
        )

    def predict_many(
        self,
        key: Hashable,
        image: np.ndarray | None,
        prompts: Mapping[Hashable, PromptSet],
        priors: Mapping[Hashable, ImageResult | np.ndarray] | None = None,
    ) -> dict[Hashable, ImageResult]:
        """Segment several objects on one image, each from its own prompts (keyed by object)."""
        priors = priors or {}
        self._embedding(key, image)
        return {
            object_id: self.predict(key, None, p.points, p.box, priors.get(object_id))
            for object_id, p in prompts.items()
        }

    def _prior_logits(self, prior: ImageResult | np.ndarray) -> np.ndarray:
        logits = prior.logits if isinstance(prior, ImageResult) else np.asarray(prior)
        side = self.low_res_size
        if logits.shape not in ((side, side), (1, side, side)):
            raise ModelError(
                f"previous mask logits are {logits.shape}, expected {(1, side, side)}: "
                "were they made at another input size?"
            )
        return logits.reshape(1, side, side).astype(np.float32)

    def decode_prompts(self, embedding: ImageEmbedding, points, masks, multimask: bool):
        """Low-resolution mask logits and predicted IoUs for point prompts (B prompts on one
        image: ``repeat_image``), inside the caller's inference mode and autocast."""
        model = self.predictor
        sparse, dense = model.sam_prompt_encoder(points=points, boxes=None, masks=masks)
        if self._dense_pe is None:
            self._dense_pe = model.sam_prompt_encoder.get_dense_pe()
        low_res, iou, _, _ = model.sam_mask_decoder(
            image_embeddings=embedding.image_embed,
            image_pe=self._dense_pe,
            sparse_prompt_embeddings=sparse,
            dense_prompt_embeddings=dense,
            multimask_output=multimask,
            repeat_image=points is not None and points[0].shape[0] > 1,
            high_res_features=list(embedding.high_res_feats),
        )
        return low_res, iou

    def _decode(
        self,
        embedding: ImageEmbedding,
        prompt: tuple[np.ndarray, np.ndarray] | None,
        mask_logits: np.ndarray | None,
        multimask: bool,
    ) -> tuple[np.ndarray, float, np.ndarray]:
        import torch
        import torch.nn.functional as F

        with (
            out_of_memory_guard(self.device, "predicting a mask"),
            torch.inference_mode(),
            autocast(self.device, self.precision),
        ):
            points = None
            if prompt is not None:
                coords = torch.as_tensor(prompt[0], dtype=torch.float32, device=self.device)
                labels = torch.as_tensor(prompt[1], dtype=torch.int32, device=self.device)
                points = (coords, labels)
            masks = None
            if mask_logits is not None:
                masks = torch.as_tensor(mask_logits[None], dtype=torch.float32, device=self.device)
            low_res, iou = self.decode_prompts(embedding, points, masks, multimask)
            best = int(iou[0].argmax()) if multimask else 0
            chosen = low_res[:, best : best + 1].float()
            full = F.interpolate(
                chosen, size=embedding.orig_hw, mode="bilinear", align_corners=False
            )
            mask = (full[0, 0] > 0).cpu().numpy()
            logits = chosen.clamp(-32.0, 32.0)[0].cpu().numpy().astype(np.float32)
            score = float(iou[0, best].float())
        return mask, score, logits


@contextlib.contextmanager
def _yield_points(model, should_yield: Callable[[], bool] | None) -> Iterator[None]:
    """Ask ``should_yield`` before every layer of the image encoder (on this thread only).

    The encoder is sam2's own code, run unchanged: forward pre-hooks on its modules (Hiera's
    patch embedding, every block's norms, attention and MLP layers, the FPN neck and the
    decoder's two feature projections) are the points where it may stop, ~170 of them, a few
    milliseconds apart on a CPU (a whole Hiera stage is up to ~1 s there at 512 px).
    The hooks exist only while this encoding runs, under the model lock.
    """
    if should_yield is None:
        yield
        return
    owner = threading.get_ident()

    def check(_module, _args) -> None:
        if threading.get_ident() == owner and should_yield():
            raise EncodingAbandoned("the model is wanted elsewhere")

    modules = [*model.image_encoder.modules()]
    decoder = model.sam_mask_decoder
    modules += [getattr(decoder, n) for n in ("conv_s0", "conv_s1") if hasattr(decoder, n)]
    handles = [m.register_forward_pre_hook(check) for m in modules]
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


def _check_inside(points: Sequence[Point], box: Box | None, width: int, height: int) -> None:
    corners = [(p.x, p.y) for p in points]
    if box is not None:
        corners += [(box.x0, box.y0), (box.x1, box.y1)]
    for x, y in corners:
        if not (0 <= x <= width and 0 <= y <= height):
            raise ModelError(f"prompt ({x:g}, {y:g}) lies outside the {width}x{height} image")
