"""Who the token acts as."""

from __future__ import annotations

from fastapi import APIRouter

from api.auth import Reader
from api.schemas import Me
from services import accounts

router = APIRouter(tags=['account'])


@router.get('/me', response_model=Me)
def me(who: Reader) -> Me:
    """The token's owner, their permissions as in force now, and the token's scope."""
    user = accounts.get_user(who.actor, who.actor.id or 0)
    return Me(
        **user.model_dump(include={'id', 'email', 'name', 'role', 'last_login_at'}),
        permissions=sorted(who.actor.permissions),
        token_scope=who.scope,
    )
