"""Waiting on work that happens elsewhere: in the task consumer's threads, or in a worker process of its own."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from config import ROOT

T = TypeVar('T')


def until(found: Callable[[], T], seconds: float = 20) -> T | None:
    """Poll until `found()` gives something truthy and return it; None when it never does within `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if result := found():
            return result
        time.sleep(0.05)
    return None


@contextmanager
def worker_process(database_url: str) -> Iterator[list[str]]:
    """`python main.py worker` (one thread, no scheduler) on this database, as server mode runs it; yields a
    list that holds the worker's output once it has stopped."""
    worker = subprocess.Popen(
        [sys.executable, str(ROOT / 'main.py'), 'worker', '--workers', '1', '--no-periodic'],
        env={**os.environ, 'SV_DATABASE_URL': database_url},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    try:
        yield output
    finally:
        worker.terminate()
        output.append(worker.communicate(timeout=20)[0])
