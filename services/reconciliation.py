"""Reconciling payout and bank statements with the ledger: mappings, imports, matching, and Finance's decisions.

An import reads the whole file first (statement_files) and writes nothing unless every row can be read; then each
line is matched (statement_matching) and stored with what was found. Nothing is ever booked by an import or by
matching: a difference reaches the ledger only as an adjustment Finance approves, line by line, once.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from db.accounts import User
from db.engine import session_scope
from db.enums import TransactionType
from db.inventory import Watch
from db.ledger import Transaction
from db.reconciliation import StatementImport, StatementLine, StatementMapping
from db.sales import Sale
from db.system import AuditEntry
from db.types import utcnow
from services import audit, ledger, lookups
from services.errors import Conflict, NotFound, ValidationFailed
from services.paging import Page, clamp
from services.permissions import SYSTEM, Actor, Permission, require
from services.statement_files import GENERIC, ROLES, Mapping, MappingCreate, ParsedLine, read_statement
from services.statement_matching import CLAIMING, WINDOW, Matcher
from services.validation import validated

STATUSES = ('matched', 'mismatched', 'unmatched', 'approved', 'dismissed')
OPEN = ('unmatched', 'mismatched')  # awaiting a decision, and matched again by `rematch`
IMPORT_SORTABLE = {'created_at': StatementImport.created_at, 'filename': StatementImport.filename,
                   'line_count': StatementImport.line_count}  # fmt: skip
LINE_SORTABLE = {'line_no': StatementLine.line_no, 'value_date': StatementLine.value_date,
                 'amount': StatementLine.amount, 'status': StatementLine.status,
                 'difference': StatementLine.difference}  # fmt: skip
DISMISSED = 'statement.line_dismissed'


# --- schemas -----------------------------------------------------------------------------------------------------


class MappingRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    columns: dict[str, str]
    date_format: str
    decimal_separator: str
    default_currency: str | None
    builtin: bool

    @field_validator('columns')
    @classmethod
    def _in_role_order(cls, value: dict[str, str]) -> dict[str, str]:
        """PostgreSQL's JSONB keeps keys in its own order; a mapping reads date, amount, currency, reference, text."""
        return {role: value[role] for role in ROLES if role in value}


class ImportRead(BaseModel):
    """One imported file with how many of its lines are in each status (every status present, 0 or more)."""

    id: int
    filename: str
    mapping_name: str | None
    line_count: int
    imported_by: str | None
    created_at: datetime
    counts: dict[str, int]


class LineRead(ParsedLine):
    """A statement line with what it was matched to; `note` says in words why it stands as it does."""

    id: int
    import_id: int
    status: str
    sale_id: int | None
    transaction_id: int | None
    match_label: str | None
    watch_id: int | None
    expected_amount: Decimal | None
    expected_currency: str | None
    difference: Decimal | None
    adjustment_id: int | None
    decided_by: str | None
    decided_at: datetime | None
    note: str | None


class Approval(BaseModel):
    model_config = ConfigDict(extra='forbid', str_strip_whitespace=True)

    memo: str = Field(min_length=1, max_length=500)
    fx_rate: Decimal | None = Field(default=None, gt=0)


class Dismissal(BaseModel):
    model_config = ConfigDict(extra='forbid', str_strip_whitespace=True)

    reason: str = Field(min_length=1, max_length=500)


# --- mappings ----------------------------------------------------------------------------------------------------


def list_mappings(actor: Actor) -> list[MappingRead]:
    """Every mapping, the built-in "Generic bank export" first (made on first use)."""
    require(actor, Permission.RECONCILE)
    ensure_generic_mapping()
    with session_scope() as session:
        rows = session.exec(select(StatementMapping).order_by(StatementMapping.builtin.desc(), StatementMapping.name))
        return [MappingRead.model_validate(row) for row in rows]


def get_mapping(actor: Actor, mapping_id: int) -> MappingRead:
    require(actor, Permission.RECONCILE)
    with session_scope() as session:
        return MappingRead.model_validate(_mapping(session, mapping_id))


def save_mapping(actor: Actor, data: MappingCreate | dict[str, Any]) -> MappingRead:
    """A new mapping for a bank's or platform's export; names are unique."""
    require(actor, Permission.RECONCILE)
    wanted = validated(MappingCreate, data)
    ensure_generic_mapping()  # so no one takes its name before it exists
    values = {'name': wanted.name, 'columns': wanted.columns, 'date_format': wanted.date_format,
              'decimal_separator': wanted.decimal_separator, 'default_currency': wanted.default_currency}  # fmt: skip
    taken = Conflict(f'A mapping named "{wanted.name}" exists already; choose another name.')
    try:
        with session_scope() as session:
            if session.exec(select(StatementMapping.id).where(StatementMapping.name == wanted.name)).first():
                raise taken
            row = StatementMapping(**values, created_by_id=actor.id)
            session.add(row)
            session.flush()
            audit.record(session, actor, 'statement_mapping.created', 'statement_mapping', row.id, after=values)
            return MappingRead.model_validate(row)
    except IntegrityError:
        raise taken from None


def ensure_generic_mapping() -> int:
    """The id of the built-in mapping, made if missing; two first uses at once both end with the one row."""
    with session_scope() as session:
        found = session.exec(select(StatementMapping.id).where(StatementMapping.name == GENERIC.name)).first()
    if found is not None:
        return found
    values = {'name': GENERIC.name, 'columns': GENERIC.columns, 'date_format': GENERIC.date_format,
              'decimal_separator': GENERIC.decimal_separator, 'builtin': True}  # fmt: skip
    try:
        with session_scope() as session:
            row = StatementMapping(**values)
            session.add(row)
            session.flush()
            audit.record(session, SYSTEM, 'statement_mapping.created', 'statement_mapping', row.id, after=values)
            return row.id
    except IntegrityError:  # made a moment ago by another request
        return ensure_generic_mapping()


# --- imports -----------------------------------------------------------------------------------------------------


def import_statement(actor: Actor, filename: str, content: bytes, mapping_id: int) -> ImportRead:
    """Read the whole file with the mapping (any broken row refuses it, nothing written), then store and match
    every line in one transaction."""
    require(actor, Permission.RECONCILE)
    name = ' '.join(str(filename or '').split())[:200] or 'statement'
    with session_scope() as session:
        mapping = _reader(_mapping(session, mapping_id))
    lines = read_statement(content, mapping)  # off any transaction: 20,000 rows take a moment
    with session_scope() as session:
        row = StatementImport(filename=name, mapping_id=mapping_id, line_count=len(lines), imported_by_id=actor.id)
        session.add(row)
        session.flush()
        matcher = Matcher(session, lines)
        stored = [{'import_id': row.id, **line.model_dump(), **matcher.match(line).values()} for line in lines]
        session.execute(sa.insert(StatementLine), stored)
        counts = _counts(session, [row.id])[row.id]
        after = {'filename': name, 'mapping': mapping.name, 'lines': len(lines), 'counts': counts}
        audit.record(session, actor, 'statement.import', 'statement_import', row.id, after=after)
        return _import_reads(session, [row])[0]


def list_imports(
    actor: Actor, offset: int = 0, limit: int = 25, *, sort: str = 'created_at', descending: bool = True
) -> Page[ImportRead]:
    require(actor, Permission.RECONCILE)
    offset, limit = clamp(offset, limit)
    column = IMPORT_SORTABLE.get(sort, StatementImport.created_at)
    order = (column.desc(), StatementImport.id.desc()) if descending else (column.asc(), StatementImport.id.asc())
    with session_scope() as session:
        total = session.exec(select(sa.func.count()).select_from(StatementImport)).one()
        rows = session.exec(select(StatementImport).order_by(*order).offset(offset).limit(limit)).all()
        return Page(total=total, items=_import_reads(session, list(rows)))


def get_import(actor: Actor, import_id: int) -> ImportRead:
    require(actor, Permission.RECONCILE)
    with session_scope() as session:
        return _import_reads(session, [_import(session, import_id)])[0]


def list_lines(
    actor: Actor,
    import_id: int,
    status: str | None = None,
    offset: int = 0,
    limit: int = 25,
    *,
    sort: str = 'line_no',
    descending: bool = False,
) -> Page[LineRead]:
    """A page of one import's lines, all of them or those in one status."""
    require(actor, Permission.RECONCILE)
    if status not in (None, '', *STATUSES):
        raise ValidationFailed(f'"{status}" is not a status of a statement line ({", ".join(STATUSES)}).')
    offset, limit = clamp(offset, limit)
    column = LINE_SORTABLE.get(sort, StatementLine.line_no)
    order = (column.desc(), StatementLine.line_no.desc()) if descending else (column.asc(), StatementLine.line_no)
    with session_scope() as session:
        _import(session, import_id)
        query = select(StatementLine).where(StatementLine.import_id == import_id)
        if status:
            query = query.where(StatementLine.status == status)
        total = session.exec(select(sa.func.count()).select_from(query.subquery())).one()
        rows = session.exec(query.order_by(*order).offset(offset).limit(limit)).all()
        return Page(total=total, items=_line_reads(session, list(rows)))


# --- decisions ---------------------------------------------------------------------------------------------------


def approve_difference(actor: Actor, line_id: int, memo: str, *, fx_rate: Decimal | str | None = None) -> LineRead:
    """Book a mismatched line's difference as an adjustment on its sale or booking, once; `fx_rate` is for a
    currency whose rate for the day is not in the table."""
    require(actor, Permission.RECONCILE)
    wanted = validated(Approval, {'memo': memo, 'fx_rate': fx_rate})
    with session_scope() as session:
        line = _line(session, line_id)
        target = _approvable(session, line)
        _decide(session, actor, line, 'approved', ('mismatched',))
        booked = ledger.post(
            session,
            ledger.Entry(
                type=TransactionType.ADJUSTMENT,
                amount=line.difference,
                currency=line.currency,
                value_date=line.value_date,
                watch_id=target.watch_id,
                sale_id=line.sale_id,
                reference=(line.reference or '')[:80] or None,
                memo=wanted.memo,
                fx_rate=wanted.fx_rate,
            ),
            created_by_id=actor.id,
        )
        line.adjustment_id = booked.id
        session.add(line)
        session.flush()
        audit.record(session, actor, 'statement.difference_approved', 'statement_line', line.id,
                     after={'adjustment_id': booked.id, 'amount': booked.amount, 'currency': booked.currency,
                            'memo': wanted.memo, 'import_id': line.import_id, 'line_no': line.line_no})  # fmt: skip
        return _line_reads(session, [line])[0]


def dismiss(actor: Actor, line_id: int, reason: str) -> LineRead:
    """Set an unmatched or mismatched line aside with a reason; it books nothing and claims no sale."""
    require(actor, Permission.RECONCILE)
    wanted = validated(Dismissal, {'reason': reason})
    with session_scope() as session:
        line = _line(session, line_id)
        before = line.status
        _decide(session, actor, line, 'dismissed', OPEN)
        audit.record(session, actor, DISMISSED, 'statement_line', line.id, before={'status': before},
                     after={'status': 'dismissed', 'reason': wanted.reason, 'import_id': line.import_id,
                            'line_no': line.line_no})  # fmt: skip
        return _line_reads(session, [line])[0]


def rematch(actor: Actor, import_id: int) -> ImportRead:
    """Match the import's open lines again (a sale recorded since, a line dismissed elsewhere); decided lines stay."""
    require(actor, Permission.RECONCILE)
    with session_scope() as session:
        row = _import(session, import_id)
        before = _counts(session, [import_id])[import_id]
        lines = session.exec(
            select(StatementLine)
            .where(StatementLine.import_id == import_id, StatementLine.status.in_(OPEN))
            .order_by(StatementLine.line_no)
        ).all()
        matcher = Matcher(session, lines, ignoring={line.id for line in lines})
        changed = [
            {'line_id': line.id, **{f'new_{key}': value for key, value in outcome.values().items()}}
            for line in lines
            if (outcome := matcher.match(line)).values() != {key: getattr(line, key) for key in outcome.values()}
        ]
        if changed:
            session.connection().execute(_REMATCHED, changed)
        after = _counts(session, [import_id])[import_id]
        audit.record(session, actor, 'statement.rematched', 'statement_import', import_id, before={'counts': before},
                     after={'counts': after, 'changed': len(changed)})  # fmt: skip
        return _import_reads(session, [row])[0]


# A line is re-matched only while still open: a decision taken meanwhile in another tab stands.
_LINES = StatementLine.__table__
_REMATCHED = (
    sa.update(_LINES)
    .where(_LINES.c.id == sa.bindparam('line_id'), _LINES.c.status.in_(OPEN))
    .values(
        {
            name: sa.bindparam(f'new_{name}')
            for name in ('status', 'sale_id', 'transaction_id', 'expected_amount', 'difference')
        }
    )
)


# --- helpers -----------------------------------------------------------------------------------------------------


def _approvable(session: Session, line: StatementLine) -> Sale | Transaction:
    """The sale or booking the line's difference belongs to, or a sentence on why it cannot be approved."""
    if line.status != 'mismatched':
        done = f' (adjustment #{line.adjustment_id})' if line.adjustment_id else ''
        raise ValidationFailed(f'Line {line.line_no} is {line.status}{done}; only a mismatched line has a '
                               'difference to approve.')  # fmt: skip
    if line.difference is None:
        raise ValidationFailed(f'Line {line.line_no} is in another currency than what it was matched to; there is no '
                               'difference to book. Dismiss it, or book the exchange by hand.')  # fmt: skip
    target = session.get(Sale, line.sale_id) if line.sale_id else session.get(Transaction, line.transaction_id)
    assert target is not None  # the foreign keys restrict deletes
    if isinstance(target, Sale) and target.reversed_at is not None:
        raise ValidationFailed(f'The sale line {line.line_no} was matched to has been reversed since; match again.')
    return target


def _decide(session: Session, actor: Actor, line: StatementLine, status: str, allowed: tuple[str, ...]) -> None:
    """Move the line to its decided status only if it is still open: of two people deciding at once, one wins."""
    if line.status not in allowed:
        raise ValidationFailed(f'Line {line.line_no} is {line.status} already; it cannot be {status} now.')
    done = session.execute(
        sa.update(StatementLine)
        .where(StatementLine.id == line.id, StatementLine.status.in_(allowed))
        .values(status=status, decided_by_id=actor.id, decided_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if done != 1:
        raise Conflict(f'Line {line.line_no} was decided a moment ago by someone else; reload to see how.')
    session.refresh(line)


def _mapping(session: Session, mapping_id: int) -> StatementMapping:
    row = session.get(StatementMapping, mapping_id)
    if row is None:
        raise NotFound('No such mapping.')
    return row


def _reader(row: StatementMapping) -> Mapping:
    return Mapping(name=row.name, columns=dict(row.columns), date_format=row.date_format,
                         decimal_separator=row.decimal_separator, default_currency=row.default_currency)  # fmt: skip


def _import(session: Session, import_id: int) -> StatementImport:
    row = session.get(StatementImport, import_id)
    if row is None:
        raise NotFound('No such statement import.')
    return row


def _line(session: Session, line_id: int) -> StatementLine:
    row = session.get(StatementLine, line_id)
    if row is None:
        raise NotFound('No such statement line.')
    return row


def _counts(session: Session, import_ids: list[int]) -> dict[int, dict[str, int]]:
    counts = {import_id: dict.fromkeys(STATUSES, 0) for import_id in import_ids}
    query = (
        sa.select(StatementLine.import_id, StatementLine.status, sa.func.count())
        .where(StatementLine.import_id.in_(import_ids))
        .group_by(StatementLine.import_id, StatementLine.status)
    )
    for import_id, status, count in session.execute(query):
        counts[import_id][status] = count
    return counts


def _import_reads(session: Session, rows: list[StatementImport]) -> list[ImportRead]:
    counts = _counts(session, [row.id for row in rows])
    mappings = lookups.names(session, StatementMapping.id, StatementMapping.name, (row.mapping_id for row in rows))
    people = lookups.names(session, User.id, User.name, (row.imported_by_id for row in rows))
    return [ImportRead(id=row.id, filename=row.filename, mapping_name=mappings.get(row.mapping_id),
                       line_count=row.line_count, imported_by=people.get(row.imported_by_id),
                       created_at=row.created_at, counts=counts[row.id]) for row in rows]  # fmt: skip


def _line_reads(session: Session, lines: list[StatementLine]) -> list[LineRead]:
    """The lines with what they were matched to and the words that explain each, looked up once for the page."""
    sales = lookups.by_id(session, Sale, {line.sale_id for line in lines})
    bookings = lookups.by_id(
        session, Transaction, [id_ for line in lines for id_ in (line.transaction_id, line.adjustment_id)]
    )
    targets = {line.id: sales.get(line.sale_id) or bookings.get(line.transaction_id) for line in lines}
    watch_ids = {target.watch_id for target in targets.values() if target and target.watch_id}
    skus = lookups.names(session, Watch.id, Watch.sku, watch_ids)
    people = lookups.names(session, User.id, User.name, (line.decided_by_id for line in lines))
    notes = _notes(session, lines, targets, bookings)
    return [
        LineRead(
            **{name: getattr(line, name) for name in _AS_STORED},
            match_label=_label(target, skus),
            watch_id=target.watch_id if target else None,
            expected_currency=target.currency if target and line.expected_amount is not None else None,
            decided_by=people.get(line.decided_by_id),
            note=notes.get(line.id),
        )
        for line in lines
        for target in (targets[line.id],)
    ]


_AS_STORED = ('id', 'import_id', 'line_no', 'value_date', 'amount', 'currency', 'reference', 'description', 'status',
              'sale_id', 'transaction_id', 'expected_amount', 'difference', 'adjustment_id', 'decided_at')  # fmt: skip


def _label(target: Sale | Transaction | None, skus: dict[int, str]) -> str | None:
    if target is None:
        return None
    kind = 'Sale' if isinstance(target, Sale) else target.type.value.replace('_', ' ').capitalize()
    what = f'{kind} #{target.id}'
    return f'{what} · {skus[target.watch_id]}' if target.watch_id in skus else what


def _notes(
    session: Session, lines: list[StatementLine], targets: dict[int, Any], bookings: dict[int, Transaction]
) -> dict[int, str]:
    """Why each line stands as it does: who holds a sale found twice, the reason for a dismissal, the memo of an
    adjustment, the currency a sale is in."""
    notes: dict[int, str] = {}
    holders = _holders(session, [line for line in lines if line.status == 'unmatched' and targets[line.id]])
    reasons = _dismissals(session, [line.id for line in lines if line.status == 'dismissed'])
    for line in lines:
        target = targets[line.id]
        if line.status == 'unmatched':
            notes[line.id] = holders.get(line.id) or _nothing_found(line)
        elif line.status == 'mismatched' and line.difference is None and target is not None:
            notes[line.id] = f'{_kind(target)} is in {target.currency}, the line in {line.currency}.'
        elif line.status == 'approved' and (adjustment := bookings.get(line.adjustment_id)):
            notes[line.id] = f'Adjustment #{adjustment.id}: {adjustment.memo}'
        elif line.status == 'dismissed' and line.id in reasons:
            notes[line.id] = reasons[line.id]
    return notes


def _nothing_found(line: StatementLine) -> str:
    days = WINDOW.days
    if line.reference:
        return f'No sale or booking with this reference within {days} days.'
    return 'No reference, and not exactly one booking or sale with this amount on this day.'


def _kind(target: Sale | Transaction) -> str:
    return 'The sale' if isinstance(target, Sale) else 'The booking'


def _holders(session: Session, lines: list[StatementLine]) -> dict[int, str]:
    """For lines that found a sale or booking another line holds: which line that is."""
    notes: dict[int, str] = {}
    for line in lines:
        column, target_id = ((StatementLine.sale_id, line.sale_id) if line.sale_id
                             else (StatementLine.transaction_id, line.transaction_id))  # fmt: skip
        holder = session.execute(
            sa.select(StatementLine.import_id, StatementLine.line_no)
            .where(column == target_id, StatementLine.status.in_(CLAIMING), StatementLine.id != line.id)
            .order_by(StatementLine.id)
            .limit(1)
        ).first()
        if holder is not None:
            where = '' if holder.import_id == line.import_id else f' of import #{holder.import_id}'
            notes[line.id] = f'Already matched by line {holder.line_no}{where}.'
    return notes


def _dismissals(session: Session, line_ids: list[int]) -> dict[int, str]:
    """The reason given when each line was dismissed (kept in the audit trail, which holds it with who and when)."""
    if not line_ids:
        return {}
    entries = session.exec(
        select(AuditEntry)
        .where(AuditEntry.action == DISMISSED, AuditEntry.entity_type == 'statement_line')
        .where(AuditEntry.entity_id.in_([str(line_id) for line_id in line_ids]))
        .order_by(AuditEntry.id)
    )
    return {int(entry.entity_id): (entry.after or {}).get('reason', '') for entry in entries}
