"""A user's click always comes first: background precomputing yields to it (docs/adr/0012)."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from videoseg_desktop.core.prompts import Point
from videoseg_desktop.ui.inference.inference_jobs import MaskJob, PrecomputeAnswer, PrecomputeJob


def _image(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 255, (120, 160, 3), dtype=np.uint8)


@pytest.fixture
def connect(client):
    """Connect to the shared client for one test only."""
    made = []

    def connect(signal, slot) -> None:
        signal.connect(slot)
        made.append((signal, slot))

    yield connect
    for signal, slot in made:
        signal.disconnect(slot)


@pytest.fixture
def ready(qtbot, client):
    client.load_model()
    qtbot.waitUntil(client.is_ready, timeout=60000)
    session = client.worker.engine.image_session()
    session.precompute(("on screen", 0), _image(0))  # what the user clicks on is encoded
    yield client
    client.worker.quiet_s = 0.75


def _click(key=("on screen", 0)) -> MaskJob:
    return MaskJob(object_id=31, media_id=31, frame=0, key=key, points=(Point(60, 50),))


def test_a_click_stops_a_running_neighbour_precompute_which_runs_again_later(
    qtbot, ready, monkeypatch, connect
):
    client = ready
    client.worker.quiet_s = 0.0  # the neighbour starts at once
    session = client.worker.engine.image_session()
    midway, clicked = threading.Event(), threading.Event()
    original = session.precompute

    def precompute(key, image, should_yield=None):
        calls = [0]

        def asked() -> bool:
            calls[0] += 1
            if calls[0] == 40:  # in the middle of the encoder: hold on until the click is made
                midway.set()
                clicked.wait(10)
            return should_yield()

        return original(key, image, should_yield=asked if should_yield else None)

    monkeypatch.setattr(session, "precompute", precompute)
    events = []
    connect(client.answered, lambda a: isinstance(a, PrecomputeAnswer) and events.append(a))
    connect(client.maskReady, events.append)
    client.submit(PrecomputeJob(key=("neighbour", 0), image=_image(1)))
    assert midway.wait(30)
    client.worker.quiet_s = 0.5  # now the user is prompting: the neighbour waits for a pause
    client.submit(_click())
    clicked.set()
    qtbot.waitUntil(lambda: len(events) == 3, timeout=60000)
    abandoned, mask, finished = events
    assert isinstance(abandoned, PrecomputeAnswer) and abandoned.abandoned
    assert mask.object_id == 31 and mask.encode_s == 0.0
    assert isinstance(finished, PrecomputeAnswer) and finished.encoded
    assert session.has_embedding(("neighbour", 0))


def test_neighbours_wait_while_prompts_arrive_but_the_image_on_screen_does_not(
    qtbot, ready, connect
):
    client = ready
    client.worker.quiet_s = 1.0
    done = {}
    connect(
        client.answered,
        lambda a: isinstance(a, PrecomputeAnswer) and done.setdefault(a.key, time.monotonic()),
    )
    with qtbot.waitSignal(client.maskReady, timeout=30000):
        start = time.monotonic()
        client.submit(_click())
    client.submit(PrecomputeJob(key=("next", 0), image=_image(2)))
    client.submit(PrecomputeJob(key=("shown", 0), image=_image(3), urgent=True))
    qtbot.waitUntil(lambda: len(done) == 2, timeout=60000)
    assert done[("next", 0)] - start >= 1.0  # not before a second without prompts
    assert done[("shown", 0)] < done[("next", 0)]


def test_a_click_on_the_image_being_encoded_lets_that_encoding_finish(
    qtbot, ready, monkeypatch, connect
):
    client = ready
    client.worker.quiet_s = 0.0
    session = client.worker.engine.image_session()
    started, clicked = threading.Event(), threading.Event()
    original = session.precompute

    def precompute(key, image, should_yield=None):
        started.set()
        clicked.wait(10)
        return original(key, image, should_yield=should_yield)

    monkeypatch.setattr(session, "precompute", precompute)
    answers = []
    connect(client.answered, lambda a: isinstance(a, PrecomputeAnswer) and answers.append(a))
    client.submit(PrecomputeJob(key=("same", 0), image=_image(4), urgent=True))
    assert started.wait(30)
    with qtbot.waitSignal(client.maskReady, timeout=30000) as blocker:
        client.submit(_click(("same", 0)))
        clicked.set()
    assert answers and answers[0].encoded and not answers[0].abandoned
    assert blocker.args[0].encode_s == 0.0  # the click used what the precompute made
