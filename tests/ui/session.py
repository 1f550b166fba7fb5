"""Steps every UI test takes: logging in, opening a screen, and knowing where the browser is."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from nicegui import background_tasks
from nicegui.testing import User

from tests.factories import PASSWORD

# Logging in checks an argon2 hash and builds the shell in the background: longer than `should_see`'s default 0.3 s.
PATIENCE = 30


async def log_in(user: User, email: str, password: str = PASSWORD, *, path: str = '/login') -> None:
    """Fill in the login form at `path` and press the button (without waiting for where it leads)."""
    await user.open(path)
    user.find(marker='email').type(email)
    user.find(marker='password').type(password)
    user.find(marker='submit').click()


async def open_as(user: User, email: str, path: str, screen: str) -> None:
    """Log in, then load `path` and wait for the screen marked `screen`."""
    await log_in(user, email)
    await user.should_see(marker='user-menu', retries=PATIENCE)
    await user.open(path)
    await user.should_see(marker=screen, retries=PATIENCE)


def location(user: User) -> str:
    """The path the simulated browser shows now."""
    return user.back_history[-1]


async def eventually(condition: Callable[[], object], what: str, *, patience: int = PATIENCE) -> None:
    """Wait for something the page loads in the background (table rows, say), failing with `what` if it never comes.

    `patience` counts tenths of a second: more for work a task worker does (a job run).
    """
    for _ in range(patience):
        if condition():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f'expected {what}')


async def press(user: User, marker: str) -> None:
    """Click, then wait until the handlers the click started have finished: for outcomes that show nothing new."""
    before = set(background_tasks.running_tasks)
    user.find(marker=marker).click()
    if started := background_tasks.running_tasks - before:
        await asyncio.wait(started, timeout=PATIENCE / 10)
