"""The worker thread: priorities, superseded requests, failures as messages, no widgets out."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.core.prompts import Point
from videoseg_desktop.ui.inference.inference_client import InferenceClient
from videoseg_desktop.ui.inference.inference_jobs import (
    Job,
    MaskAnswer,
    MaskJob,
    ModelConfig,
    PrecomputeAnswer,
    PrecomputeJob,
)
from videoseg_desktop.ui.inference.inference_worker import ERROR, RequestBook


@dataclass
class RecordingJob(Job):
    """Notes which thread it ran on; fails when asked to."""

    needs_engine = False
    name: str = ""
    fail: bool = False
    log: list | None = None

    def run(self, worker):
        self.log.append((self.name, threading.current_thread() is threading.main_thread()))
        if self.fail:
            raise VideoSegError(f"{self.name} failed")
        return MaskLikeAnswer(self.request_id, self.name)


@dataclass(frozen=True)
class MaskLikeAnswer:
    request_id: int
    name: str


def test_request_book_keeps_only_the_newest_request_per_slot():
    book = RequestBook()
    a = book.issue("slot")
    b = book.issue("slot")
    other = book.issue(None)
    assert not book.is_current("slot", a) and book.is_current("slot", b)
    assert book.is_current(None, other)
    book.supersede("slot")
    assert not book.is_current("slot", b)


def test_jobs_run_on_the_worker_thread_and_failures_come_back_as_messages(qtbot, client):
    log, answers, failures = [], [], []
    client.answered.connect(answers.append)
    client.failed.connect(lambda job, message: failures.append(message))
    with qtbot.waitSignal(client.failed, timeout=10000):
        client.submit(RecordingJob(name="ok", log=log))
        client.submit(RecordingJob(name="bad", fail=True, log=log))
    assert [a.name for a in answers if isinstance(a, MaskLikeAnswer)] == ["ok"]
    assert failures == ["bad failed"]
    assert log == [("ok", False), ("bad", False)]  # never on the GUI thread
    client.answered.disconnect(answers.append)


def test_mask_jobs_answer_with_plain_data_and_superseded_ones_are_dropped(qtbot, client):
    image = np.random.default_rng(0).integers(0, 255, (120, 160, 3), dtype=np.uint8)
    answers = []
    client.maskReady.connect(answers.append)
    jobs = [
        MaskJob(object_id=1, media_id=1, frame=0, key=("worker-test", 0), image=image,
                points=(Point(40 + 10 * i, 50, True),))
        for i in range(3)
    ]  # fmt: skip
    ids = [client.submit(job) for job in jobs]
    qtbot.waitUntil(lambda: any(a.request_id == ids[-1] for a in answers), timeout=60000)
    qtbot.wait(200)
    assert [a.request_id for a in answers] == [ids[-1]]  # the first two were superseded
    answer = answers[0]
    assert isinstance(answer, MaskAnswer)
    assert answer.mask.dtype == bool and answer.mask.shape == (120, 160)
    assert answer.rle["size"] == [120, 160] and isinstance(answer.rle["counts"], str)
    assert answer.model_id == "sam2.1_tiny@256" and answer.engine_s > 0
    client.maskReady.disconnect(answers.append)


def test_precompute_makes_the_next_click_skip_encoding(qtbot, client):
    image = np.random.default_rng(1).integers(0, 255, (100, 100, 3), dtype=np.uint8)
    client.load_model()
    qtbot.waitUntil(client.is_ready, timeout=60000)
    # The client is shared by the tests: a request an earlier test left waiting would make this
    # precompute give way (rightly); start when nobody waits.
    qtbot.waitUntil(lambda: not client.worker.user_requests.waiting(), timeout=60000)
    job = PrecomputeJob(key=("pre", 0), image=image, urgent=True)
    with qtbot.waitSignal(
        client.answered,
        timeout=30000,
        check_params_cb=lambda a: (
            isinstance(a, PrecomputeAnswer) and a.request_id == job.request_id
        ),
    ) as blocker:
        client.submit(job)
    assert isinstance(blocker.args[0], PrecomputeAnswer) and blocker.args[0].encoded
    with qtbot.waitSignal(client.maskReady, timeout=30000) as blocker:
        client.submit(MaskJob(object_id=9, media_id=9, frame=0, key=("pre", 0), image=None,
                              points=(Point(50, 50, True),)))  # fmt: skip
    assert blocker.args[0].encode_s == 0.0


def test_a_model_that_cannot_load_is_reported_and_the_thread_survives(qtbot, tmp_path, models_dir):
    bad = tmp_path / "broken.pt"
    bad.write_bytes(b"not a checkpoint")
    client = InferenceClient(ModelConfig(checkpoint=str(bad), image_size=256, device="cpu"))
    try:
        failures = []
        client.failed.connect(lambda job, message: failures.append(message))
        with qtbot.waitSignal(client.failed, timeout=60000):
            client.submit(MaskJob(object_id=1, media_id=1, frame=0, key=("x", 0),
                                  image=np.zeros((8, 8, 3), np.uint8), points=(Point(1, 1),)))  # fmt: skip
        assert client.state == ERROR
        assert "broken.pt" in failures[0]
        log = []
        with qtbot.waitSignal(client.answered, timeout=10000):
            client.submit(RecordingJob(name="still alive", log=log))
        assert log == [("still alive", False)]
    finally:
        client.shutdown()


def test_a_missing_checkpoint_is_announced_for_download(qtbot, models_dir):
    client = InferenceClient(ModelConfig(model="tiny", image_size=256, device="cpu"))
    try:
        with qtbot.waitSignal(client.modelMissing, timeout=60000) as blocker:
            client.load_model()
        model, message = blocker.args
        assert model == "tiny" and "not downloaded" in message
    finally:
        client.shutdown()
