"""Who is calling: the personal access token in `Authorization: Bearer ...`, its scope, and its rate limit.

The token's owner is the actor of every service call, so the API can do exactly what that person could do on
screen, no more; a `read` token is refused every write besides.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api import limits
from config import get_settings
from db.enums import TokenScope
from services import tokens
from services.errors import AuthenticationFailed, PermissionDenied
from services.permissions import Actor

bearer = HTTPBearer(
    auto_error=False,
    scheme_name='Personal access token',
    description='Create one under My account (or `python main.py create-token`); send it as `Bearer svpat_...`.',
)


@dataclass(frozen=True)
class Caller:
    actor: Actor
    scope: TokenScope


def caller(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Caller:
    """The authenticated caller; refused (401) without a usable token, 429 beyond the rate limit."""
    if credentials is None:
        raise AuthenticationFailed(
            'Send a personal access token as "Authorization: Bearer <token>"; create one under My account.'
        )
    actor, scope = tokens.authenticate(credentials.credentials)
    if (seconds := limits.retry_after(tokens.digest(credentials.credentials)[:24])) is not None:
        raise HTTPException(
            429,
            f'This token has made more than {get_settings().api_requests_per_minute} requests this minute; '
            f'try again in {seconds} s.',
            headers={'Retry-After': str(seconds)},
        )
    return Caller(actor, scope)


def writer(who: Annotated[Caller, Depends(caller)]) -> Caller:
    """A caller whose token may change data."""
    if who.scope is not TokenScope.READ_WRITE:
        raise PermissionDenied('This token may only read; create a read-write token under My account to make changes.')
    return who


Reader = Annotated[Caller, Depends(caller)]
Writer = Annotated[Caller, Depends(writer)]
