"""Videos generated once per test session; every frame carries its number (numbered_frames)."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from tests.helpers.video import numbered_frames, write_video

N_FRAMES = 300


def decode_all(path: Path) -> list[np.ndarray]:
    """Reference: PyAV's plain sequential decode, in output (display) order."""
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


@pytest.fixture(scope="session")
def source_frames() -> list[np.ndarray]:
    return numbered_frames(N_FRAMES)


@pytest.fixture(scope="session")
def bframe_mp4(tmp_path_factory, source_frames) -> Path:
    """h264 with 3 B-frames and a 250-frame keyframe interval: the hard case for seeking."""
    out = tmp_path_factory.mktemp("videos") / "bframes_gop250.mp4"
    return write_video(source_frames, out, fps=30, gop=250, bframes=3)


@pytest.fixture(scope="session")
def bframe_reference(bframe_mp4) -> list[np.ndarray]:
    return decode_all(bframe_mp4)
