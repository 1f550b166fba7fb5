"""Blocking service calls from a screen, run off the event loop with `run.io_bound`.

NiceGUI 3.x's `run.io_bound` swallows cancellation and returns None, for instance when someone opens another
screen while this one is still loading, or when the server stops. A page would then carry on with None and fail
on it. `call` raises `CancelledError` instead, as NiceGUI 4.0 will, so the abandoned builder simply stops.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from nicegui import run

P = ParamSpec('P')
R = TypeVar('R')


async def call(service: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """The service's result; the result is boxed so that a service returning None is told apart from a cancel."""
    boxed = await run.io_bound(lambda: (service(*args, **kwargs),))
    if boxed is None:
        raise asyncio.CancelledError
    return boxed[0]
