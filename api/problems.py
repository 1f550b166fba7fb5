"""Every refusal of the API as `application/problem+json` (RFC 9457): a status, a title, a sentence a person can act
on, and for bad input an `errors` object naming each field.

The services' errors carry sentences already; FastAPI's own validation errors are rewritten here, so a client
never sees pydantic's internal vocabulary ("Input should be a valid integer, unable to parse string...").
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from services.errors import (
    AccountLocked,
    AuthenticationFailed,
    Conflict,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ServiceError,
    ValidationFailed,
)

log = logging.getLogger(__name__)
MEDIA_TYPE = 'application/problem+json'
# Most specific first: AccountLocked is an AuthenticationFailed.
STATUS: tuple[tuple[type[ServiceError], int], ...] = (
    (AccountLocked, 401),
    (AuthenticationFailed, 401),
    (PermissionDenied, 403),
    (NotFound, 404),
    (Conflict, 409),
    (InvalidTransition, 409),
    (ValidationFailed, 422),
)
_MESSAGES = {
    'missing': 'Required.',
    'extra_forbidden': 'Not a field of this request; check the spelling against the documentation.',
    'json_invalid': 'The body is not valid JSON.',
    'model_attributes_type': 'Send a JSON object (Content-Type: application/json).',
    'dict_type': 'Send a JSON object.',
    'list_type': 'Send a list.',
    'int_parsing': 'Enter a whole number.',
    'int_from_float': 'Enter a whole number.',
    'int_type': 'Enter a whole number.',
    'bool_parsing': 'Use true or false.',
    'bool_type': 'Use true or false.',
    'string_type': 'Send text.',
    'decimal_parsing': 'Enter an amount such as 1250.00.',
    'decimal_type': 'Enter an amount such as 1250.00.',
    'date_parsing': 'Enter a date such as 2024-05-31.',
    'date_from_datetime_parsing': 'Enter a date such as 2024-05-31.',
    'date_type': 'Enter a date such as 2024-05-31.',
    'greater_than': 'Must be more than {gt}.',
    'greater_than_equal': 'Must be at least {ge}.',
    'less_than_equal': 'Must be at most {le}.',
    'string_too_long': 'At most {max_length} characters.',
    'string_too_short': 'At least {min_length} characters.',
    'too_long': 'At most {max_length} items.',
    'enum': 'Choose one of {expected}.',
    'literal_error': 'Choose one of {expected}.',
}


def problem(
    status: int, detail: str, *, errors: dict[str, str] | None = None, headers: dict | None = None
) -> JSONResponse:
    """The one shape of every refusal."""
    body: dict[str, Any] = {
        'type': 'about:blank',
        'title': HTTPStatus(status).phrase,
        'status': status,
        'detail': detail,
    }
    if errors:
        body['errors'] = errors
    return JSONResponse(body, status_code=status, headers=headers, media_type=MEDIA_TYPE)


def install(app: FastAPI) -> None:
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)


async def _service_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ServiceError)
    status = next((code for kind, code in STATUS if isinstance(error, kind)), 400)
    fields = error.fields if isinstance(error, ValidationFailed) else None
    headers = {'WWW-Authenticate': 'Bearer'} if status == 401 else None
    return problem(status, str(error), errors=fields, headers=headers)


async def _validation_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    if any(item['type'] == 'json_invalid' for item in error.errors()):
        detail = 'The body is not valid JSON; check quotes, commas and brackets.'
        return problem(422, detail, errors={'body': _MESSAGES['json_invalid']})
    errors: dict[str, str] = {}
    for item in error.errors():
        errors.setdefault(_field(item['loc']), _sentence(item))
    name, message = next(iter(errors.items()))
    more = f' (and {len(errors) - 1} more)' if len(errors) > 1 else ''
    where = '' if name in {'body', 'query'} else f'{name}: '  # a rule between fields names no single field
    return problem(422, f'{where}{message}{more}', errors=errors)


async def _http_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    detail = error.detail if isinstance(error.detail, str) else HTTPStatus(error.status_code).phrase
    if error.status_code == 404 and detail == 'Not Found':
        detail = 'There is no such address in the API; the documentation at /api/docs lists them all.'
    elif error.status_code == 405:
        detail = 'This address does not answer that method; the documentation at /api/docs lists what it does.'
    return problem(error.status_code, detail, headers=error.headers)


def _field(loc: tuple[Any, ...]) -> str:
    """('body', 'service_history', 0, 'work') -> 'service_history.0.work'; ('query', 'text') -> 'q'."""
    where = {'body', 'query', 'path', 'header'}
    parts = [str(part) for part in loc[1:]] if loc and loc[0] in where else [str(part) for part in loc]
    name = '.'.join(parts) or (str(loc[0]) if loc else 'body')
    return 'q' if name == 'text' else name


def _sentence(item: dict[str, Any]) -> str:
    template = _MESSAGES.get(item['type'])
    if template is None:
        text = str(item['msg']).removeprefix('Value error, ').rstrip('.')
        return f'{text[:1].upper()}{text[1:]}.'
    context = {key: _plain(value) for key, value in item.get('ctx', {}).items()}
    try:
        return template.format(**context)
    except (KeyError, IndexError):
        return str(item['msg'])


def _plain(value: Any) -> Any:
    return value if isinstance(value, int | float | str) else str(value)
