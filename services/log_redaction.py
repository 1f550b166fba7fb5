"""No secrets in the logs: passwords, bearer and personal access tokens, OAuth codes and database passwords.

Logs are read by more people than the database (operators, log shippers, support tickets), so secrets are
blanked before any handler sees a record. `install()` wraps the process's log-record factory rather than
adding a filter to handlers: uvicorn replaces the handlers when it starts, and a filter on a logger misses
records its children propagate, but every record of every library is made by the factory.

Each string argument is cleaned separately, so formatters that take the arguments apart (uvicorn's access log
reads client, method, path, version and status from them) keep working; numbers are left as they are.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

REDACTED = '[redacted]'

# Fields whose names say they are secret; in query strings also OAuth's one-time `code` and its `state`.
_SECRET_FIELDS = r'password|passwd|pwd|secret|client_secret|token|access_token|refresh_token|id_token|api_key|apikey'
_SECRET_QUERY = rf'{_SECRET_FIELDS}|code|state'
_SECRET_KEY = re.compile(rf'(?i){_SECRET_FIELDS}')
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # ?code=...&state=... and password=... in URLs, query strings and form bodies
    (re.compile(rf'(?i)([?&;](?:{_SECRET_QUERY})=)[^&\s"\'#]*'), rf'\g<1>{REDACTED}'),
    # "password": "..." (JSON) and 'password': '...' (a dict's repr)
    (
        re.compile(rf'(?i)(["\'](?:{_SECRET_FIELDS})["\']\s*:\s*)(["\'])(?:\\.|(?!\2).)*\2'),
        rf'\g<1>\g<2>{REDACTED}\g<2>',
    ),
    # password=... in a message such as "login failed password=hunter2"
    (re.compile(r'(?i)\b(password|passwd|secret)(\s*[=:]\s*)(?!\[redacted\])[^\s,;&"\']+'), rf'\g<1>\g<2>{REDACTED}'),
    # Authorization headers, whatever logged them
    (re.compile(r'(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+'), rf'\g<1> {REDACTED}'),
    # our personal access tokens wherever they turn up
    (re.compile(r'svpat_[A-Za-z0-9_-]+'), f'svpat_{REDACTED}'),
    # scheme://user:password@host (database, Redis and Meilisearch URLs)
    (re.compile(r'([a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@\s]+@'), rf'\g<1>{REDACTED}@'),
]


def redact(text: str) -> str:
    """`text` with every secret it holds replaced by [redacted]."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def install() -> None:
    """Clean every log record of the process from now on (idempotent: installing twice wraps once)."""
    factory = logging.getLogRecordFactory()
    if getattr(factory, 'redacts', False):
        return
    logging.setLogRecordFactory(_redacting(factory))


def _redacting(factory: Callable[..., logging.LogRecord]) -> Callable[..., logging.LogRecord]:
    def make(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_clean(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _clean_field(key, value) for key, value in record.args.items()}
        return record

    make.redacts = True  # type: ignore[attr-defined]
    return make


def _clean_field(key: object, value: Any) -> Any:
    """A mapping's value: blanked under a secret's name (`log.info('%s', {'password': ...})`), else cleaned."""
    return REDACTED if isinstance(key, str) and _SECRET_KEY.fullmatch(key) else _clean(value)


def _clean(value: Any) -> Any:
    """A string cleaned; anything else kept unless its text holds a secret (then its cleaned text)."""
    if isinstance(value, str):
        return redact(value)
    if value is None or isinstance(value, int | float | bool):
        return value
    text = str(value)
    cleaned = redact(text)
    return value if cleaned == text else cleaned
