"""People and firms we buy from, consign for, or sell to: the data subjects of GDPR requests."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from db.base import created_at_field, timestamp_field
from db.enums import ContactKind
from db.types import enum_type


class Contact(SQLModel, table=True):
    """A supplier, consignor or buyer; `anonymised_at` marks a contact erased on request."""

    __tablename__ = 'contacts'

    id: int | None = Field(default=None, primary_key=True)
    kind: ContactKind = Field(sa_type=enum_type(ContactKind))
    name: str = Field(max_length=160, index=True)
    company: str | None = Field(default=None, max_length=160, index=True)
    email: str | None = Field(default=None, max_length=254, index=True)
    phone: str | None = Field(default=None, max_length=40)
    street: str | None = Field(default=None, max_length=200)
    postal_code: str | None = Field(default=None, max_length=20)
    city: str | None = Field(default=None, max_length=100)
    country: str | None = Field(default=None, max_length=2)
    vat_number: str | None = Field(default=None, max_length=30)
    notes: str | None = None
    consent_at: datetime | None = timestamp_field()
    anonymised_at: datetime | None = timestamp_field()
    created_at: datetime = created_at_field()
    updated_at: datetime | None = timestamp_field()
