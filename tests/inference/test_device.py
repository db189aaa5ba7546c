"""Device choice, precision, memory reports, and out-of-memory handling."""

from __future__ import annotations

import pytest

from videoseg_desktop.core.errors import ModelError
from videoseg_desktop.inference import device as dev


def test_auto_device_prefers_cuda_then_mps_then_cpu(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(dev, "_mps_available", lambda: False)
    assert dev.choose_device() == "cpu"
    monkeypatch.setattr(dev, "_mps_available", lambda: True)
    assert dev.choose_device() == "mps"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert dev.choose_device() == "cuda"
    assert dev.choose_device("cpu") == "cpu"


def test_unavailable_or_unknown_devices_are_refused(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(dev, "_mps_available", lambda: False)
    with pytest.raises(ModelError, match="no CUDA GPU"):
        dev.choose_device("cuda")
    with pytest.raises(ModelError, match="MPS is not available"):
        dev.choose_device("mps")
    with pytest.raises(ModelError, match="unknown device 'tpu'"):
        dev.choose_device("tpu")


def test_image_sizes_and_precisions():
    assert dev.check_image_size(512) == 512
    with pytest.raises(ModelError, match="256 or 512 or 1024"):
        dev.check_image_size(300)
    assert dev.resolve_precision("cpu") == "fp32"
    assert dev.resolve_precision("cpu", "bf16") == "bf16"
    with pytest.raises(ModelError, match="unknown precision"):
        dev.resolve_precision("cpu", "fp8")


def test_bf16_autocast_on_cpu_changes_the_matmul_dtype():
    import torch

    a = torch.ones(4, 4)
    with dev.autocast("cpu", "bf16"):
        assert (a @ a).dtype == torch.bfloat16
    with dev.autocast("cpu", "fp32"):
        assert (a @ a).dtype == torch.float32


@pytest.mark.parametrize(
    "error",
    [
        RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB"),
        "torch.cuda.OutOfMemoryError",
        RuntimeError("MPS backend out of memory"),
    ],
)
def test_out_of_memory_becomes_a_model_error_and_frees_the_cache(error, monkeypatch):
    import torch

    if error == "torch.cuda.OutOfMemoryError":
        error = torch.cuda.OutOfMemoryError("boom")
    released = []
    monkeypatch.setattr(dev, "release_memory", released.append)
    with (
        pytest.raises(ModelError, match="out of memory on cuda while encoding"),
        dev.out_of_memory_guard("cuda", "encoding"),
    ):
        raise error
    assert released == ["cuda"]


def test_other_errors_pass_through_the_memory_guard():
    with pytest.raises(RuntimeError, match="shape mismatch"), dev.out_of_memory_guard("cpu", "x"):
        raise RuntimeError("shape mismatch")


def test_cpu_description_has_a_name_and_resident_memory():
    info = dev.describe_device("cpu")
    assert info["device"] == "cpu" and info["name"].startswith("CPU")
    assert info["process_rss_bytes"] > 10_000_000


def test_auto_input_size_is_512_on_a_cpu_and_1024_on_a_gpu():
    assert dev.resolve_image_size("auto", "cpu") == 512
    assert dev.resolve_image_size(None, "cpu") == 512
    assert dev.resolve_image_size("auto", "cuda:1") == 1024
    assert dev.resolve_image_size("auto", "mps") == 1024
    assert dev.resolve_image_size(256, "cuda") == 256  # a choice is kept
    assert dev.resolve_image_size("1024", "cpu") == 1024  # as a project stores it
    with pytest.raises(ModelError, match="use auto or 256"):
        dev.resolve_image_size("automatic", "cpu")


def test_an_engine_loaded_at_auto_size_on_the_cpu_runs_at_512(random_checkpoint):
    from videoseg_desktop.inference.engine import SamEngine

    engine = SamEngine.load("tiny", random_checkpoint, image_size="auto", device="cpu")
    assert engine.image_size == 512 and engine.model_id == "sam2.1_tiny@512"


def test_int8_is_for_the_cpu_only():
    assert dev.resolve_precision("cpu", "int8") == "int8"
    with pytest.raises(ModelError, match="CPU only"):
        dev.resolve_precision("cuda", "int8")
