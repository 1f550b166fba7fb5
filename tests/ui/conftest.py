"""UI tests run the whole app in-process with NiceGUI's `user` fixture, on the test's own fresh database."""

from __future__ import annotations

import pytest
from nicegui.testing import User


@pytest.fixture
async def visitor(db: str, user: User) -> User:
    """A browser that is not logged in yet; `db` comes first so the app starts on this test's database."""
    return user
