"""Business settings an admin changes at run time, kept in the `settings` table as one JSON value per key.

Only known keys can be set, each checked by its own rule, so a typo in a screen can never store a value
that breaks intake (a SKU pattern that does not format) or uploads (a photo limit of zero).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session

from db.engine import session_scope
from db.system import Setting
from db.types import utcnow
from services import audit, sku
from services.errors import ValidationFailed
from services.permissions import Actor, Permission, require

SKU_MAX_LENGTH = 40  # watches.sku is VARCHAR(40)
_NUMBER_FIELD = re.compile(r'\{n(?::[^{}]*)?\}')
_RULE_DEFAULT: Any = object()


@dataclass(frozen=True)
class _Rule:
    default: Any
    check: Callable[[Any], Any]  # returns the clean value or raises ValueError with a sentence


def _sku_pattern(value: Any) -> str:
    """Refuse patterns that do not format, lack the number or the month (numbering restarts monthly), or run long."""
    pattern = str(value).strip()
    if not _NUMBER_FIELD.search(pattern):
        raise ValueError('The pattern must contain the running number, e.g. {n:05d}.')
    if '{mm}' not in pattern or not ('{yy}' in pattern or '{yyyy}' in pattern):
        raise ValueError(
            'The pattern must contain the year ({yy} or {yyyy}) and month ({mm}); numbers restart monthly.'
        )
    try:
        longest = sku.format_sku(date(2099, 12, 31), 999_999, pattern)
    except (KeyError, IndexError, ValueError, AttributeError):
        raise ValueError('The pattern may use only {yy}, {yyyy}, {mm} and {n}, e.g. SV-{yy}{mm}-{n:05d}.') from None
    if not longest.isascii() or any(char.isspace() for char in longest):
        raise ValueError('The pattern may contain no spaces or accented letters, so barcode scanners can type it.')
    if len(longest) > SKU_MAX_LENGTH:
        raise ValueError(f'This pattern makes SKUs of up to {len(longest)} characters; the most is {SKU_MAX_LENGTH}.')
    return pattern


def _whole_number(low: int, high: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip().isdigit():
            raise ValueError(f'Enter a whole number from {low} to {high}.')
        number = int(value)
        if not low <= number <= high:
            raise ValueError(f'Enter a whole number from {low} to {high}.')
        return number

    return check


RULES: dict[str, _Rule] = {
    'sku.pattern': _Rule(sku.DEFAULT_PATTERN, _sku_pattern),
    'photos.max_mb': _Rule(25, _whole_number(1, 200)),
    'photos.max_count': _Rule(40, _whole_number(1, 100)),
}


def get_setting(key: str, default: Any = _RULE_DEFAULT) -> Any:
    """The stored value, else `default`, else the key's built-in default."""
    with session_scope() as session:
        return setting_value(session, key, default)


def setting_value(session: Session, key: str, default: Any = _RULE_DEFAULT) -> Any:
    """`get_setting` inside the caller's transaction (intake reads the SKU pattern in the same unit of work)."""
    row = session.get(Setting, key)
    if row is not None:
        return row.value['value']
    return RULES[key].default if default is _RULE_DEFAULT else default


def set_setting(actor: Actor, key: str, value: Any) -> Any:
    """Check and store a setting for everyone; returns the value as stored (trimmed, converted)."""
    require(actor, Permission.SETTINGS_MANAGE)
    if key not in RULES:
        raise ValidationFailed(f'There is no setting called "{key}".')
    try:
        clean = RULES[key].check(value)
    except ValueError as error:
        raise ValidationFailed(str(error), {key: str(error)}) from None
    with session_scope() as session:
        row = session.get(Setting, key) or Setting(key=key)
        before = row.value.get('value', RULES[key].default)
        row.value = {'value': clean}
        row.updated_at = utcnow()
        row.updated_by_id = actor.id
        session.add(row)
        audit.record(session, actor, 'setting.changed', 'setting', key, before={key: before}, after={key: clean})
    return clean
