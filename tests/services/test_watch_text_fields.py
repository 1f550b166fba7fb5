"""Long-text fields of a watch left empty by a form: '' and None both mean "no text", not a crash."""

from __future__ import annotations

import pytest

from services import watches
from services.errors import ValidationFailed


@pytest.mark.parametrize('empty', ['', '   ', None])
def test_an_empty_description_or_note_is_none(empty):
    parsed = watches.parse_watch({'brand': 'Omega', 'model': 'Seamaster', 'description': empty, 'notes': empty})
    assert (parsed.description, parsed.notes) == (None, None)


def test_an_overlong_note_is_refused_at_its_field():
    with pytest.raises(ValidationFailed) as refused:
        watches.parse_watch({'brand': 'Omega', 'model': 'Seamaster', 'notes': 'x' * 20_001})
    assert refused.value.fields == {'notes': 'At most 20000 characters.'}
