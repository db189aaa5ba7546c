"""Shared fixtures. Qt runs offscreen; models use random weights at image_size 256."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # see videoseg_desktop/inference/__init__.py

# Fuzz profiles (hypothesis): "ci" is short, derandomized (a gate must not pass or fail by the
# seed) and runs with every test run; "long" explores many more random examples on demand:
# VIDEOSEG_FUZZ=long pytest tests -k fuzz (or --hypothesis-profile=long).
try:
    from hypothesis import HealthCheck, settings

    _slow_ok = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
    settings.register_profile(
        "ci",
        max_examples=25,
        deadline=None,
        suppress_health_check=_slow_ok,
        print_blob=True,
        derandomize=True,
    )
    settings.register_profile(
        "long", max_examples=2000, deadline=None, suppress_health_check=_slow_ok, print_blob=True
    )
    settings.load_profile(os.environ.get("VIDEOSEG_FUZZ", "ci"))
except ImportError:  # hypothesis is a test dependency; only the fuzz tests need it
    pass


def pytest_collection_modifyitems(items) -> None:
    """The long fuzz profile runs 2,000 examples per test: longer than the usual 10-minute
    limit per test (which would end it as a failure)."""
    if os.environ.get("VIDEOSEG_FUZZ") == "long":
        for item in items:
            if "fuzz" in item.name:
                item.add_marker(pytest.mark.timeout(4 * 3600))


SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
DAVIS_ROOT = SHARED_DATA / "davis2016"
SAMPLES_ROOT = SHARED_DATA / "sam2-samples"


@pytest.fixture(scope="session")
def davis_root() -> Path:
    if not (DAVIS_ROOT / "JPEGImages").is_dir():
        pytest.skip("shared DAVIS data not present")
    return DAVIS_ROOT


@pytest.fixture(scope="session")
def samples_root() -> Path:
    if not SAMPLES_ROOT.is_dir():
        pytest.skip("shared sam2 samples not present")
    return SAMPLES_ROOT


@pytest.fixture(scope="session")
def random_checkpoint(tmp_path_factory) -> Path:
    """A randomly initialised SAM 2.1 tiny model saved in the official checkpoint format."""
    from videoseg_desktop.inference.checkpoint import save_random_checkpoint

    return save_random_checkpoint(tmp_path_factory.mktemp("ckpt") / "sam2.1_random_tiny.pt")


@pytest.fixture(scope="session")
def davis_mp4(tmp_path_factory, davis_root) -> Path:
    """The DAVIS 'car-shadow' sequence (40 frames, 854x480) encoded as h264 mp4."""
    from tests.helpers.video import encode_frames_to_mp4

    frames_dir = davis_root / "JPEGImages" / "480p" / "car-shadow"
    out = tmp_path_factory.mktemp("davis") / "car-shadow.mp4"
    return encode_frames_to_mp4(sorted(frames_dir.glob("*.jpg")), out, fps=24)


@pytest.fixture(scope="session")
def sam3_folder(tmp_path_factory) -> Path:
    """A tiny random SAM 3 (images and video) saved as a transformers model folder."""
    from tests.helpers.sam3 import save_tiny_sam3

    return save_tiny_sam3(tmp_path_factory.mktemp("sam3") / "tiny-sam3")


@pytest.fixture
def sam3_models_dir(tmp_path, monkeypatch, sam3_folder) -> Path:
    """A models folder where the tiny SAM 3 is installed as model "tiny3" (the import path)."""
    from videoseg_desktop.inference import registry
    from videoseg_desktop.inference.sam3_files import import_sam3_folder

    folder = tmp_path / "models"
    monkeypatch.setenv(registry.MODELS_DIR_ENV, str(folder))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    import_sam3_folder(sam3_folder, "tiny3")
    return folder
