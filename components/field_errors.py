"""A service's refusal shown where it belongs: under the field it is about, or as a notification."""

from __future__ import annotations

from collections.abc import Mapping

from nicegui import ui
from nicegui.elements.mixins.validation_element import ValidationElement

from services.errors import Conflict, ServiceError


def clear(fields: Mapping[str, ValidationElement]) -> None:
    for field in fields.values():
        field.error = None


def show(error: ServiceError, fields: Mapping[str, ValidationElement], *, conflict: str | None = None) -> None:
    """Per-field messages (`ValidationFailed.fields`) go under their fields; anything else is notified, so no
    refusal is ever swallowed. `conflict` names the field a `Conflict` is about (a unique name taken). A hidden
    field a message is about is shown with it: the manual exchange rate stays hidden until the service asks."""
    clear(fields)
    landed = False
    messages = dict(getattr(error, 'fields', None) or {})
    if conflict and isinstance(error, Conflict):
        messages[conflict] = str(error)
    for key, message in messages.items():
        if key in fields:
            fields[key].error = message
            if isinstance(fields[key], ui.element):  # a stand-in (a list's message line) has no visibility
                fields[key].visible = True
            landed = True
    if not landed:
        ui.notify(str(error), type='negative')


def require(fields: Mapping[str, ValidationElement], *keys: str) -> bool:
    """Mark the empty required fields before a round-trip to the service; True when all are filled."""
    missing = [key for key in keys if fields[key].value in (None, '', [])]
    for key in keys:
        fields[key].error = 'Required.' if key in missing else None
    return not missing
