"""Contacts: the people and firms we buy from, consign for, or sell to, and the picker that names them.

A contact erased on request keeps its row, so the watches and ledger entries pointing at it stay whole, but it
shows as "Erased contact" and no search finds it by what it was called.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlmodel import Session, func, select

from db.contacts import Contact
from db.engine import session_scope
from db.enums import ContactKind
from db.types import utcnow
from services import audit
from services.errors import NotFound, ValidationFailed
from services.paging import Page, clamp
from services.permissions import Actor, Permission, require, require_any
from services.places import COUNTRIES
from services.validation import validated
from services.watch_filter import TEXT_MAX_LENGTH, starts_with

ERASED = 'Erased contact'
CHOICES_MAX = 50
_EMAIL = re.compile(r'^[^@\s]+@[^@\s]+\.[^@\s]+$')
_PHONE = re.compile(r'^\+?[0-9 ()./-]+$')
_VAT = re.compile(r'^[A-Z0-9 .-]+$')
SORTABLE = {'name': Contact.name, 'company': Contact.company, 'kind': Contact.kind, 'city': Contact.city,
            'country': Contact.country, 'created_at': Contact.created_at}  # fmt: skip


# --- schemas -----------------------------------------------------------------------------------------------------


class ContactCreate(BaseModel):
    """A new contact; `consent` records that they agreed to be kept on file (its moment is kept, not a flag)."""

    model_config = ConfigDict(extra='forbid', str_strip_whitespace=True)

    kind: ContactKind = ContactKind.PERSON
    name: str = Field(max_length=160)
    company: str | None = Field(default=None, max_length=160)
    email: str | None = None
    phone: str | None = None
    street: str | None = Field(default=None, max_length=200)
    postal_code: str | None = Field(default=None, max_length=20)
    city: str | None = Field(default=None, max_length=100)
    country: str | None = None
    vat_number: str | None = None
    notes: str | None = Field(default=None, max_length=2000)
    consent: bool = False

    @field_validator('name', 'company', 'city')
    @classmethod
    def _one_line(cls, value: str | None) -> str | None:
        return ' '.join(value.split()) if value is not None else None

    @field_validator('name')
    @classmethod
    def _name(cls, value: str) -> str:
        if not value:
            raise ValueError('a contact needs a name')
        return value

    @field_validator('company', 'street', 'postal_code', 'city', 'notes')
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value or None

    @field_validator('email')
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not _EMAIL.match(value) or len(value) > 254:
            raise ValueError(f'"{value}" is not an email address (such as anna@example.com)')
        return value.lower()

    @field_validator('phone')
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not _PHONE.match(value) or value.find('+', 1) > 0 or sum(c.isdigit() for c in value) < 5:
            raise ValueError('use digits, spaces and + ( ) - . / only, such as +46 8 123 456 78')
        if len(value) > 40:
            raise ValueError('at most 40 characters')
        return ' '.join(value.split())

    @field_validator('country')
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        if not value:
            return None
        if value.upper() not in COUNTRIES:
            raise ValueError(f'"{value}" is not an ISO 3166 country code (two letters, such as SE)')
        return value.upper()

    @field_validator('vat_number')
    @classmethod
    def _vat(cls, value: str | None) -> str | None:
        """Loose on purpose (every country writes its own), but kept on one line and in capitals."""
        value = ' '.join((value or '').upper().split())
        if not value:
            return None
        if not _VAT.match(value) or len(value) > 30:
            raise ValueError('use letters, digits, spaces, dots and dashes, at most 30, such as SE556677889901')
        return value


class ContactUpdate(ContactCreate):
    """Only the fields given change."""

    kind: ContactKind | None = None
    name: str | None = Field(default=None, max_length=160)
    consent: bool | None = None


class ContactRead(BaseModel):
    """A contact as screens see it; an erased one has only its id, kind, dates and the name "Erased contact"."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: ContactKind
    name: str
    company: str | None
    email: str | None
    phone: str | None
    street: str | None
    postal_code: str | None
    city: str | None
    country: str | None
    vat_number: str | None
    notes: str | None
    consent_at: datetime | None
    anonymised_at: datetime | None
    created_at: datetime
    updated_at: datetime | None

    @property
    def erased(self) -> bool:
        return self.anonymised_at is not None


class Choice(BaseModel):
    """One line of a picker: "Name · Company · City"."""

    id: int
    label: str


# --- reading -----------------------------------------------------------------------------------------------------


def list_contacts(
    actor: Actor,
    text: str | None = None,
    kind: ContactKind | str | None = None,
    offset: int = 0,
    limit: int = 50,
    *,
    sort: str = 'name',
    descending: bool = False,
) -> Page[ContactRead]:
    """A page of contacts; `text` is the start of a name, company or email, in any case."""
    require(actor, Permission.CONTACTS_VIEW)
    offset, limit = clamp(offset, limit)
    query = _narrowed(select(Contact), text, _kind(kind))
    column = SORTABLE.get(sort, Contact.name)
    order = (column.desc(), Contact.id.desc()) if descending else (column.asc(), Contact.id.asc())
    with session_scope() as session:
        total = session.exec(select(func.count()).select_from(query.subquery())).one()
        rows = session.exec(query.order_by(*order).offset(offset).limit(limit)).all()
        return Page(total=total, items=[_read(row) for row in rows])


def get_contact(actor: Actor, contact_id: int) -> ContactRead:
    require(actor, Permission.CONTACTS_VIEW)
    with session_scope() as session:
        return _read(_contact(session, contact_id))


def choices(actor: Actor, text: str | None = None, limit: int = 20) -> list[Choice]:
    """What a picker offers for the text typed so far: contacts by name, erased ones never."""
    _require_picking(actor)
    query = _narrowed(select(Contact), text, None).where(Contact.anonymised_at.is_(None))
    with session_scope() as session:
        rows = session.exec(query.order_by(Contact.name, Contact.id).limit(min(max(1, limit), CHOICES_MAX))).all()
        return [_choice(row) for row in rows]


def choice(actor: Actor, contact_id: int) -> Choice:
    """The picker's line for one contact (the one already chosen), or for naming it where it is linked."""
    _require_picking(actor)
    with session_scope() as session:
        return _choice(_contact(session, contact_id))


def label(contact: Contact | ContactRead) -> str:
    """How a picker names a contact: "Name · Company · City" (for a contact just saved, too)."""
    if contact.anonymised_at is not None:
        return ERASED
    return ' · '.join(part for part in (contact.name, contact.company, contact.city) if part)


# --- writing -----------------------------------------------------------------------------------------------------


def create_contact(actor: Actor, data: ContactCreate | dict[str, Any]) -> ContactRead:
    require(actor, Permission.CONTACTS_MANAGE)
    wanted = validated(ContactCreate, data)
    values = wanted.model_dump(exclude={'consent'}) | {'consent_at': utcnow() if wanted.consent else None}
    with session_scope() as session:
        contact = Contact(**values)
        session.add(contact)
        session.flush()
        audit.record(session, actor, 'contact.created', 'contact', contact.id, after=values)
        return _read(contact)


def update_contact(actor: Actor, contact_id: int, data: ContactUpdate | dict[str, Any]) -> ContactRead:
    require(actor, Permission.CONTACTS_MANAGE)
    wanted = validated(ContactUpdate, data).model_dump(exclude_unset=True)
    if 'kind' in wanted and wanted['kind'] is None:  # a name left out is refused by the model itself
        raise ValidationFailed('The kind: a contact is a person or a company.', {'kind': 'choose person or company'})
    with session_scope() as session:
        contact = _contact(session, contact_id)
        if contact.anonymised_at is not None:
            raise ValidationFailed('This contact was erased on request; it can no longer be changed.')
        if 'consent' in wanted:
            consent = wanted.pop('consent')
            wanted['consent_at'] = (contact.consent_at or utcnow()) if consent else None
        before, after = audit.changes({key: getattr(contact, key) for key in wanted}, wanted)
        if after:
            for key, value in after.items():
                setattr(contact, key, value)
            contact.updated_at = utcnow()
            session.add(contact)
            audit.record(session, actor, 'contact.updated', 'contact', contact.id, before=before, after=after)
        return _read(contact)


# --- helpers -----------------------------------------------------------------------------------------------------


def _require_picking(actor: Actor) -> None:
    """Whoever may set a watch's supplier (cost access) may pick one by name, without seeing the address book."""
    require_any(actor, Permission.CONTACTS_VIEW, Permission.COST_VIEW)


def _narrowed(query: Any, text: str | None, kind: ContactKind | None) -> Any:
    if kind is not None:
        query = query.where(Contact.kind == kind)
    text = ' '.join((text or '').split())[:TEXT_MAX_LENGTH]
    if text:
        terms = [
            *_starts(Contact.name, text),
            *_starts(Contact.company, text),
            starts_with(Contact.email, text.lower()),
        ]
        query = query.where(Contact.anonymised_at.is_(None), sa.or_(*terms))
    return query


def _starts(column: Any, text: str) -> list[sa.ColumnElement[bool]]:
    """Starts with `text` in any case, as one alternative per case of the first letter: a range a B-tree serves,
    the rest compared case-blind after it (SQLite folds ASCII only, so 'Å' must never meet its lower()). Flat
    alternatives, each with its own range, are what lets SQLite answer an OR from several indexes."""
    first, rest = text[0], text[1:]
    escaped = rest.replace('\\', '\\\\').replace('%', '\\%').replace('_', '\\_')
    tail = [func.substr(column, 2).ilike(f'{escaped}%', escape='\\')] if rest else []
    return [sa.and_(starts_with(column, case), *tail) for case in sorted({first.lower(), first.upper()})]


def _kind(value: ContactKind | str | None) -> ContactKind | None:
    if value in (None, ''):
        return None
    try:
        return ContactKind(value)
    except ValueError:
        raise ValidationFailed(f'"{value}" is not a kind of contact (person or company).') from None


def _contact(session: Session, contact_id: int) -> Contact:
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise NotFound('No such contact.')
    return contact


def _read(contact: Contact) -> ContactRead:
    read = ContactRead.model_validate(contact)
    if read.anonymised_at is None:
        return read
    hidden = set(ContactRead.model_fields) - {'id', 'kind', 'consent_at', 'anonymised_at', 'created_at', 'updated_at'}
    return read.model_copy(update=dict.fromkeys(hidden) | {'name': ERASED})


def _choice(contact: Contact) -> Choice:
    return Choice(id=contact.id, label=label(contact))
