"""Video frames decoded and preprocessed on demand, standing in for sam2's preloaded frame tensor.

``SAM2VideoPredictor`` reads frames only as ``inference_state["images"][frame_idx]``. The stock
``init_state`` fills that with every frame of the video at once (12 MiB per frame at 1024 px);
``FrameFeed`` has the same ``__len__``/``__getitem__`` but decodes one frame when asked, keeps a
few recent ones, and can decode the next frame on a helper thread while the model runs.

Preprocessing reproduces sam2's JPEG-folder loader bit for bit (PIL resize to SxS with PIL's
default filter, ``/ 255`` in float64, then ImageNet mean/std in float32), so the same pixels give
the same tensor as the stock predictor and no torchvision is needed.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    import torch

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class FrameSource(Protocol):
    """What ``media.frames.open_frames`` returns: random access to RGB frames."""

    width: int
    height: int

    def __len__(self) -> int: ...

    def read(self, index: int) -> np.ndarray: ...


_MEAN = np.array(IMAGENET_MEAN, np.float32)
_STD = np.array(IMAGENET_STD, np.float32)


def preprocess_frame(rgb: np.ndarray, image_size: int) -> torch.Tensor:
    """An HxWx3 uint8 RGB frame as the (3, S, S) float32 tensor sam2's video loader makes."""
    import torch

    return torch.from_numpy(sam2_pixels(rgb, image_size))


def sam2_pixels(rgb: np.ndarray, image_size: int) -> np.ndarray:
    """``preprocess_frame`` in NumPy only (the same IEEE float32 steps as sam2's torch ones, so
    the same bits). It runs on the feed's helper thread, where a torch op would start a second
    OpenMP team whose spinning threads slow the model's own (2 cores: tracking 29% slower)."""
    from PIL import Image

    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"expected an HxWx3 uint8 RGB frame, got {rgb.dtype} {rgb.shape}")
    resized = np.asarray(Image.fromarray(rgb, "RGB").resize((image_size, image_size)))
    image = (resized / 255.0).astype(np.float32)
    image -= _MEAN
    image /= _STD
    return image.transpose(2, 0, 1)


class FrameFeed:
    """``feed[i]`` is frame ``i`` of ``frames`` preprocessed for the model (CPU, float32).

    Holds at most ``cache_frames`` preprocessed frames. ``prefetch(i)`` starts decoding frame
    ``i`` in the background; the source is only ever read under a lock, one frame at a time.
    ``preprocess`` turns an RGB frame into the model's input (default: sam2's, at
    ``image_size``); SAM 3 sessions pass their processor's.
    """

    def __init__(
        self,
        frames: FrameSource,
        image_size: int,
        cache_frames: int = 4,
        preprocess: Callable[[np.ndarray], torch.Tensor] | None = None,
    ) -> None:
        if cache_frames < 1:
            raise ValueError("cache_frames must be at least 1")
        self.frames = frames
        self.image_size = int(image_size)
        self._preprocess = preprocess
        self.cache_frames = int(cache_frames)
        self._length = len(frames)
        # Model inputs, or decoded frames (NumPy) not yet made tensors by ``_finish``.
        self._cache: OrderedDict[int, torch.Tensor | np.ndarray] = OrderedDict()
        self._read_lock = threading.Lock()
        self._pending: dict[int, Future] = {}
        self._executor: ThreadPoolExecutor | None = None
        self.decoded_count = 0  # how many times a frame was decoded (tests, benchmarks)

    def __len__(self) -> int:
        return self._length

    @property
    def video_height(self) -> int:
        return int(self.frames.height)

    @property
    def video_width(self) -> int:
        return int(self.frames.width)

    @property
    def cached_indices(self) -> list[int]:
        return list(self._cache)

    def __getitem__(self, index: int) -> torch.Tensor:
        index = self._check_index(index)
        image = self._cache.get(index)
        if image is None:
            future = self._pending.pop(index, None)
            image = future.result() if future is not None else self._load(index)
        image = self._finish(image)
        self._remember(index, image)
        return image

    def prefetch(self, index: int) -> None:
        """Decode frame ``index`` in the background if it is in range and not held already."""
        if not 0 <= index < self._length or index in self._cache or index in self._pending:
            return
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="frame-feed")
        # Finished prefetches move to the cache (which stays bounded): dropping them would
        # decode the frame again when it is asked for right after the next prefetch starts.
        for done in [i for i, f in self._pending.items() if f.done()]:
            future = self._pending.pop(done)
            if future.exception() is None:
                self._remember(done, future.result())
        if len(self._pending) >= self.cache_frames:
            return
        self._pending[index] = self._executor.submit(self._load, index)

    def clear(self) -> None:
        self._cache.clear()
        self._pending.clear()

    def close(self) -> None:
        self.clear()
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def _check_index(self, index: int) -> int:
        index = int(index)
        if not 0 <= index < self._length:
            raise IndexError(f"frame {index} is outside the video (0..{self._length - 1})")
        return index

    def _load(self, index: int) -> torch.Tensor | np.ndarray:
        """Frame ``index`` decoded, as NumPy (on the helper thread when prefetched: no torch
        there, see ``sam2_pixels``); ``_finish`` makes it a tensor on the caller's thread."""
        with self._read_lock:
            rgb = np.asarray(self.frames.read(index))
            self.decoded_count += 1
        return rgb if self._preprocess is not None else sam2_pixels(rgb, self.image_size)

    def _finish(self, image: torch.Tensor | np.ndarray) -> torch.Tensor:
        if not isinstance(image, np.ndarray):
            return image
        if self._preprocess is not None:
            return self._preprocess(image)
        import torch

        return torch.from_numpy(image)

    def _remember(self, index: int, image: torch.Tensor | np.ndarray) -> None:
        self._cache[index] = image
        self._cache.move_to_end(index)
        while len(self._cache) > self.cache_frames:
            self._cache.popitem(last=False)
