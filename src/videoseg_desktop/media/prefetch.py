"""Decoding the next items on a helper thread while the current one is being worked on.

A folder of images is decode-bound as soon as the model is fast (a GPU): JPEG decoding and
EXIF rotation take tens of milliseconds per photo. ``prefetched`` yields ``(item, value)`` in
order, loading up to ``depth`` items ahead on one background thread; an error while loading an
item is raised when that item's turn comes, so the caller can skip it and go on.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
V = TypeVar("V")


def prefetched(
    items: Iterable[T], load: Callable[[T], V], depth: int = 2
) -> Iterator[tuple[T, Future]]:
    """Yield ``(item, future)`` in order; ``future.result()`` is ``load(item)`` (or raises).

    At most ``depth`` loads run or wait ahead. Stopping early (break, exception) cancels the
    loads not started yet and waits for the one running.
    """
    if depth < 1:
        raise ValueError("depth must be at least 1")
    source = iter(items)
    queue: deque[tuple[T, Future]] = deque()
    with ThreadPoolExecutor(1, thread_name_prefix="prefetch") as pool:
        try:
            for item in source:
                queue.append((item, pool.submit(load, item)))
                if len(queue) > depth:
                    yield queue.popleft()
            while queue:
                yield queue.popleft()
        finally:
            for _, future in queue:
                future.cancel()
