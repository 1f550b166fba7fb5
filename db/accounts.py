"""People who use the product, how they prove who they are, and the admin's changes to the permission matrix."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from db.base import created_at_field, timestamp_field
from db.enums import Role, TokenScope
from db.types import JSONType, enum_type


class User(SQLModel, table=True):
    """A member of staff; the email is stored lower-case so it is unique however it is typed."""

    __tablename__ = 'users'
    __table_args__ = (sa.CheckConstraint('failed_logins >= 0', name='failed_logins_not_negative'),)

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    name: str = Field(max_length=120)
    role: Role = Field(sa_type=enum_type(Role), index=True)
    active: bool = Field(default=True)
    password_hash: str | None = Field(default=None, max_length=255)
    password_must_change: bool = Field(default=False)
    failed_logins: int = Field(default=0)
    locked_until: datetime | None = timestamp_field()
    last_login_at: datetime | None = timestamp_field()
    preferences: dict = Field(default_factory=dict, sa_type=JSONType)
    created_at: datetime = created_at_field()
    updated_at: datetime | None = timestamp_field()


class SsoIdentity(SQLModel, table=True):
    """A link between a user and an account at an OpenID Connect provider."""

    __tablename__ = 'sso_identities'
    __table_args__ = (sa.UniqueConstraint('provider', 'subject'),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key='users.id', ondelete='CASCADE', index=True)
    provider: str = Field(max_length=60)
    subject: str = Field(max_length=255)
    email: str | None = Field(default=None, max_length=254)
    created_at: datetime = created_at_field()
    last_login_at: datetime | None = timestamp_field()


class ApiToken(SQLModel, table=True):
    """A personal access token; only its hash is kept, the token itself is shown once."""

    __tablename__ = 'api_tokens'

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key='users.id', ondelete='CASCADE', index=True)
    name: str = Field(max_length=80)
    token_hash: str = Field(max_length=128, unique=True)
    prefix: str = Field(max_length=16)
    scope: TokenScope = Field(sa_type=enum_type(TokenScope))
    expires_at: datetime | None = timestamp_field()
    last_used_at: datetime | None = timestamp_field()
    revoked_at: datetime | None = timestamp_field()
    created_at: datetime = created_at_field()


class RolePermission(SQLModel, table=True):
    """An admin's override of the default matrix: the role is granted or denied the permission."""

    __tablename__ = 'role_permissions'
    __table_args__ = (sa.UniqueConstraint('role', 'permission'),)

    id: int | None = Field(default=None, primary_key=True)
    role: Role = Field(sa_type=enum_type(Role))
    permission: str = Field(max_length=60)
    granted: bool
    updated_at: datetime = created_at_field()
    updated_by_id: int | None = Field(default=None, foreign_key='users.id', ondelete='SET NULL')
