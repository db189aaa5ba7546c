"""Tracking from the GUI: propagation requests to the worker, results streamed into the store.

One propagation at a time per window. The request carries each object's conditioning read from
the store; the worker streams a ``TrackFrameAnswer`` per frame, which is stored in batches (a
transaction every ``FLUSH_MS`` or ``FLUSH_FRAMES`` frames, whichever comes first), so masks
appear on the canvas and the timeline while tracking goes on and the window never waits. When
it ends (done, cancelled or failed) the whole propagation becomes one undoable command.

Clicks on a video go to the worker as ``VideoCorrectionJob``s (``correction_job`` is the
annotation controller's job hook), so a click on a tracked frame corrects the tracked mask.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer, Signal

from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.core.masks import decode_rle
from videoseg_desktop.core.records import MaskSource, MediaItem, MediaKind
from videoseg_desktop.core.text import plural
from videoseg_desktop.ui.inference.inference_client import InferenceClient
from videoseg_desktop.ui.inference.inference_jobs import MaskJob
from videoseg_desktop.ui.inference.video_jobs import (
    CloseVideosJob,
    TrackDoneAnswer,
    TrackFrameAnswer,
    TrackJob,
    VideoCorrectionJob,
    VideoRef,
)
from videoseg_desktop.ui.project.project_session import ProjectSession
from videoseg_desktop.ui.video.track_edit_commands import TrackingCommand
from videoseg_desktop.ui.video.track_writer import TrackWriter, check_trackable

FLUSH_MS = 200
FLUSH_FRAMES = 32


@dataclass(frozen=True)
class TrackSummary:
    direction: str
    start: int
    frames: int  # frames tracked
    total: int
    stored: int  # masks written
    kept: int  # clicked / edited frames left as they were
    cleared: int  # stale propagated masks removed where the object left
    cancelled: bool
    seconds: float
    error: str = ""

    def text(self) -> str:
        if self.error:
            return f"Tracking stopped: {self.error}"
        state = "cancelled" if self.cancelled else "done"
        return (
            f"Tracking {state}: {self.frames} of {plural(self.total, 'frame')}, {plural(self.stored, 'mask')} stored,"
            f" {plural(self.kept, 'segmented frame')} kept ({self.seconds:.1f} s)"
        )


class TrackingController(QObject):
    runningChanged = Signal(bool)
    progressed = Signal(int, int, float, object)  # done, total, frames/s, seconds left or None
    finished = Signal(object)  # TrackSummary
    errorOccurred = Signal(str)

    def __init__(self, session: ProjectSession, client: InferenceClient, parent=None):
        super().__init__(parent)
        self.session, self.client, self.project = session, client, session.project
        self._job: TrackJob | None = None
        self._writer: TrackWriter | None = None
        self._began = 0.0
        self.last_summary: TrackSummary | None = None
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.setInterval(FLUSH_MS)
        self._flush_timer.timeout.connect(self._flush)
        client.answered.connect(self._on_answer)
        client.failed.connect(self._on_failed)

    # -- requests --------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._job is not None

    def video_ref(self, media: MediaItem) -> VideoRef:
        return VideoRef(
            media.id,
            str(self.project.media_path(media)),
            str(self.project.frame_index_path(media)),
            str(self.project.tracking_dir),
        )

    def propagate(
        self,
        direction: str = "forward",
        start: int | None = None,
        end: int | None = None,
        object_ids: list[int] | None = None,
    ) -> int | None:
        """Track from ``start`` (default: the current frame); returns the request id.

        ``object_ids``: default every object of the video that has prompts or a mask.
        ``end``: the last frame to track (forward or backward only). Problems are reported
        through ``errorOccurred`` and None is returned.
        """
        session, media = self.session, self.session.media
        try:
            if self.running:
                raise VideoSegError("tracking is already running (cancel it first)")
            if self.project.read_only:
                raise VideoSegError("the project is open read-only: tracking cannot be saved")
            if media is None or media.kind != MediaKind.VIDEO or media.frame_count < 2:
                raise VideoSegError("tracking needs a video: open one in the media browser")
            start = session.frame if start is None else int(start)
            if end is not None and direction == "both":
                raise VideoSegError("'up to frame' needs forward or backward tracking")
            if end is not None and (end < start if direction == "forward" else end > start):
                raise VideoSegError(f"frame {end} is not {direction} of frame {start}")
            alive = [o.id for o in session.objects()]
            wanted = alive if object_ids is None else [i for i in object_ids if i in alive]
            objects = check_trackable(self.project, wanted)
            self.project.media_guard.verify(media)  # never track a file changed behind our back
        except VideoSegError as exc:
            self.errorOccurred.emit(str(exc))
            return None
        job = TrackJob(
            video=self.video_ref(media),
            objects=objects,
            alive=frozenset(alive),
            start=start,
            direction=direction,
            end=end,
        )
        self._job, self._writer = job, TrackWriter(self.project, media.id)
        self._began = time.perf_counter()
        self.client.submit(job)
        self.runningChanged.emit(True)
        return job.request_id

    def cancel(self) -> None:
        """Stop after the frame being tracked; what was tracked so far is kept."""
        if self._job is not None:
            self._job.cancel.set()

    # -- corrections -----------------------------------------------------------------------
    def correction_job(self, job: MaskJob) -> MaskJob:
        """The annotation controller's job hook: clicks on video frames become corrections."""
        try:
            media = self.project.media.get(job.media_id)
        except VideoSegError:
            return job
        if media.kind != MediaKind.VIDEO or type(job) is not MaskJob:
            return job
        prior = None
        record = self.project.masks.get(job.object_id, job.frame)
        if record is not None and record.source == MaskSource.PROPAGATED:
            prior = decode_rle(record.rle)
        fields = {f.name: getattr(job, f.name) for f in dataclasses.fields(job) if f.init}
        return VideoCorrectionJob(**fields, video=self.video_ref(media), prior_mask=prior)

    # -- answers ---------------------------------------------------------------------------
    def _on_answer(self, answer) -> None:
        job = self._job
        if job is None or getattr(answer, "request_id", None) != job.request_id:
            return
        if isinstance(answer, TrackFrameAnswer):
            self._writer.add(answer)
            if self._writer.pending >= FLUSH_FRAMES:
                self._flush()
            elif not self._flush_timer.isActive():
                self._flush_timer.start()
            # Last: a slot may end tracking (close the project) in response.
            self.progressed.emit(answer.done, answer.total, answer.fps, answer.eta_s)
        elif isinstance(answer, TrackDoneAnswer):
            self._end(answer.frames_done, answer.total, answer.cancelled)

    def _on_failed(self, job, message: str) -> None:
        if self._job is not None and job is self._job:
            done = getattr(job, "_done", 0)
            self._end(done, getattr(job, "_total", 0), True, message)

    def _flush(self) -> None:
        self._flush_timer.stop()
        if self._writer is None:
            return
        try:
            self._writer.flush()
        except VideoSegError as exc:
            self.errorOccurred.emit(f"tracked masks could not be saved: {exc}")
            self.cancel()

    def _end(self, frames: int, total: int, cancelled: bool, error: str = "") -> None:
        self._flush()
        job, writer = self._job, self._writer
        self._job = self._writer = None
        summary = TrackSummary(
            job.direction, job.start, frames, total, writer.stored, writer.kept,
            writer.cleared, cancelled, time.perf_counter() - self._began, error,
        )  # fmt: skip
        self.last_summary = summary
        if writer.touched:
            what = f"{plural(len(writer.touched), 'object')}"
            command = TrackingCommand(
                self.session, writer.media_id, job.start, writer.touched, writer.before,
                f"Track {job.direction} from frame {job.start} ({what}, {plural(frames, 'frame')})",
            )  # fmt: skip
            command.skip_redo = True  # done already
            self.session.undo_stack.push(command)
        if error:
            self.errorOccurred.emit(f"Tracking failed: {error}")
        self.runningChanged.emit(False)
        self.finished.emit(summary)

    # -- lifetime --------------------------------------------------------------------------
    def detach(self) -> None:
        """The project is closing: stop tracking, store what arrived, free the worker's sessions."""
        if self._job is not None:
            self.cancel()
            self._end(getattr(self._job, "_done", 0), getattr(self._job, "_total", 0), True)
        self.client.answered.disconnect(self._on_answer)
        self.client.failed.disconnect(self._on_failed)
        self.client.submit(CloseVideosJob(spill_dir=str(self.project.tracking_dir)))
