"""Choosing the compute device, its numeric precision, memory reports and out-of-memory handling."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator

from videoseg_desktop.core.errors import ModelError

DEVICE_KINDS = ("cuda", "mps", "cpu")
PRECISIONS = ("auto", "fp32", "bf16", "int8")  # int8: quantized image encoder, CPU only
IMAGE_SIZES = (256, 512, 1024)  # 1024 is what SAM 2.1 was trained at; 256 is for tests
AUTO_SIZE = "auto"  # chosen from the device when the model loads (resolve_image_size)
# On a CPU a first click took 10.6 s at 1024 px against 3.5 s at 512 (issue 12): 512 there.
AUTO_SIZES = {"cpu": 512, "cuda": 1024, "mps": 1024}


def choose_device(override: str | None = None) -> str:
    """The device to run on: ``override`` when given (checked), else cuda > mps > cpu."""
    import torch

    if override:
        kind = override.split(":", 1)[0]
        if kind not in DEVICE_KINDS:
            raise ModelError(f"unknown device {override!r}; use one of {', '.join(DEVICE_KINDS)}")
        if kind == "cuda" and not torch.cuda.is_available():
            raise ModelError("device cuda was asked for, but this PyTorch sees no CUDA GPU")
        if kind == "cuda" and ":" in override:
            index = override.split(":", 1)[1]
            if not index.isdigit() or int(index) >= torch.cuda.device_count():
                raise ModelError(f"no CUDA device {override!r} on this machine")
        if kind == "mps" and not _mps_available():
            raise ModelError("device mps was asked for, but Apple MPS is not available here")
        return override
    if torch.cuda.is_available():
        return "cuda"
    if _mps_available():
        return "mps"
    return "cpu"


def check_image_size(image_size: int) -> int:
    if isinstance(image_size, str) and not image_size.isdigit():
        raise ModelError(
            f"unsupported input size {image_size!r}; use {AUTO_SIZE} or "
            f"{' or '.join(map(str, IMAGE_SIZES))}"
        )
    if int(image_size) not in IMAGE_SIZES:
        raise ModelError(
            f"unsupported input size {image_size}; use {' or '.join(map(str, IMAGE_SIZES))}"
        )
    return int(image_size)


def auto_image_size(device: str) -> int:
    """The input size ``auto`` means on ``device``: 512 on a CPU, 1024 on a GPU."""
    return AUTO_SIZES.get(device.split(":", 1)[0], 1024)


def resolve_image_size(image_size: int | str | None, device: str) -> int:
    """``auto`` (or None) becomes the size for ``device``; a number is checked."""
    if image_size is None or image_size == AUTO_SIZE:
        return auto_image_size(device)
    return check_image_size(image_size)


def resolve_precision(device: str, precision: str = "auto") -> str:
    """``auto`` means bf16 autocast on CUDA GPUs that support it, fp32 elsewhere.

    bf16 on the CPU is opt-in: it nearly halves encoding time there, but masks differ from fp32
    on a fraction of a percent of pixels. int8 (a dynamically quantized image encoder, the rest
    fp32) is opt-in too, and for the CPU only: torch's int8 kernels are CPU kernels.
    """
    import torch

    if precision not in PRECISIONS:
        raise ModelError(f"unknown precision {precision!r}; use one of {', '.join(PRECISIONS)}")
    if precision == "int8" and device != "cpu":
        raise ModelError("int8 runs on the CPU only; use bf16 (or auto) on a GPU")
    if precision != "auto":
        return precision
    if device.startswith("cuda") and torch.cuda.is_bf16_supported():
        return "bf16"
    return "fp32"


def configure_backend(device: str) -> None:
    """Process-wide speed switches for ``device`` (TF32 matmuls on Ampere and newer)."""
    import torch

    if device.startswith("cuda"):
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True


def autocast(device: str, precision: str) -> contextlib.AbstractContextManager:
    """The autocast context for a model call (a no-op for fp32)."""
    import torch

    if precision != "bf16":
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.split(":", 1)[0], dtype=torch.bfloat16)


def inference_context(model_lock=None, compute_context=None) -> contextlib.ExitStack:
    """What every model call of a session runs under: the engine's lock (one model shared by
    sessions), no autograd, and the engine's precision context."""
    import torch

    stack = contextlib.ExitStack()
    if model_lock is not None:
        stack.enter_context(model_lock)
    stack.enter_context(torch.inference_mode())
    if compute_context is not None:
        stack.enter_context(compute_context())
    return stack


def is_out_of_memory(exc: BaseException) -> bool:
    import torch

    if isinstance(exc, torch.cuda.OutOfMemoryError):
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()


def release_memory(device: str) -> None:
    """Give cached allocator blocks back so that the next request has room."""
    import torch

    if device.startswith("cuda") and torch.cuda.is_available():
        torch.cuda.empty_cache()
    elif device == "mps" and _mps_available():
        torch.mps.empty_cache()


@contextlib.contextmanager
def out_of_memory_guard(
    device: str, what: str, on_oom: Callable[[], None] | None = None
) -> Iterator[None]:
    """Turn an out-of-memory failure during ``what`` into a ModelError; the model stays usable.

    ``on_oom`` runs first (e.g. dropping cached embeddings), then the allocator cache is freed.
    """
    try:
        yield
    except Exception as exc:
        if not is_out_of_memory(exc):
            raise
        if on_oom is not None:
            on_oom()
        release_memory(device)
        raise ModelError(
            f"out of memory on {device} while {what}: close other GPU programs, choose a smaller "
            "model or input size 512, or run on the CPU"
        ) from exc


def describe_device(device: str) -> dict:
    """Name and memory of ``device`` (CUDA: total and allocated; otherwise process RSS)."""
    import torch

    info: dict = {"device": device}
    if device.startswith("cuda"):
        index = torch.device(device).index or 0
        props = torch.cuda.get_device_properties(index)
        info.update(
            name=props.name,
            memory_total_bytes=int(props.total_memory),
            memory_allocated_bytes=int(torch.cuda.memory_allocated(index)),
            memory_reserved_bytes=int(torch.cuda.memory_reserved(index)),
        )
    else:
        info["name"] = "Apple MPS" if device == "mps" else _cpu_name()
        if device == "mps":
            info["memory_allocated_bytes"] = int(torch.mps.current_allocated_memory())
        info["process_rss_bytes"] = process_rss_bytes()
    return info


def process_rss_bytes() -> int | None:
    """Resident memory of this process (Linux: current; elsewhere: peak), None if unknown."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        pass
    try:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return int(peak) if sys.platform == "darwin" else int(peak) * 1024
    except (ImportError, OSError):
        return None


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return f"CPU ({line.split(':', 1)[1].strip()}, {os.cpu_count()} threads)"
    except OSError:
        pass
    import platform

    return f"CPU ({platform.processor() or platform.machine()}, {os.cpu_count()} threads)"


def _mps_available() -> bool:
    import torch

    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())
