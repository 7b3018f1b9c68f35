"""A bounded pool for the CPU-bound part of requests: a fixed number of threads and a fixed queue."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


class Overloaded(RuntimeError):
    """Every search thread is busy and the queue is full: the client should retry later."""


class SearchPool:
    """Runs searches on ``threads`` threads with at most ``queue_limit`` more waiting.

    Past that, :meth:`run` refuses at once instead of letting every request's latency grow.
    """

    def __init__(self, threads: int, queue_limit: int) -> None:
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="search")
        self.capacity = threads + queue_limit
        self._in_flight = 0
        self._lock = threading.Lock()

    @property
    def in_flight(self) -> int:
        """Calls running or waiting for a thread."""
        return self._in_flight

    async def run(self, function: Callable[..., T], *args: object) -> T:
        with self._lock:
            if self._in_flight >= self.capacity:
                raise Overloaded(f"{self._in_flight} requests are already running or waiting")
            self._in_flight += 1
        try:
            future = self._executor.submit(function, *args)
        except RuntimeError as exc:
            self._release(None)
            raise Overloaded("the server is shutting down") from exc
        future.add_done_callback(self._release)
        return await asyncio.wrap_future(future)

    def _release(self, _: Future[object] | None) -> None:
        with self._lock:
            self._in_flight -= 1

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
