"""Which drawer entry is highlighted for a location (a pure function, no app needed)."""

from __future__ import annotations

import pytest

from components.app_shell import active_path

PATHS = ['/', '/watches', '/audit', '/account']


@pytest.mark.parametrize(
    ('location', 'expected'),
    [
        ('/', '/'),
        ('/?tab=week', '/'),
        ('/watches', '/watches'),
        ('/watches/', '/watches'),
        ('/watches/42?edit=1#photos', '/watches'),
        ('/watchesque', None),
        ('/settings', None),
    ],
)
def test_the_entry_a_location_belongs_to(location: str, expected: str | None):
    assert active_path(PATHS, location) == expected
