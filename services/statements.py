"""Commission statements: one person's commission bookings over a period, on screen, as a PDF and as CSV.

A line is what the person earned (positive) or had taken back by a reversal (negative), in the currency it was
booked in and in the base currency at the booking's rate. People who earn commissions see their own statement;
commission managers and those who read the ledger see anyone's.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from sqlalchemy.orm import aliased
from sqlmodel import Session, func, select

from config import get_settings
from db.accounts import User
from db.engine import session_scope
from db.enums import Role, TransactionType
from db.inventory import Watch
from db.ledger import Transaction
from db.sales import Sale
from db.types import Money, utcnow
from services.errors import NotFound, PermissionDenied, ValidationFailed
from services.paging import Page, clamp
from services.permissions import Actor, Permission, require
from services.sales import CHANNELS

T = TransactionType
COMMISSIONS = (T.AGENT_COMMISSION, T.SELLER_COMMISSION)
KINDS = {T.AGENT_COMMISSION: 'Agent commission', T.SELLER_COMMISSION: 'Seller commission'}
MAX_DAYS = 3 * 366
CSV_HEADINGS = ('date', 'sku', 'kind', 'sale_price', 'sale_currency', 'channel', 'calculation', 'amount', 'currency',
                'fx_rate', 'base_amount', 'base_currency', 'transaction_id', 'reverses_id')  # fmt: skip


class StatementLine(BaseModel):
    """One commission booking as the person sees it: earned is positive, a reversal negative."""

    transaction_id: int
    value_date: date
    watch_id: int | None
    sku: str | None
    kind: str
    sale_id: int | None
    sale_price: Decimal | None
    sale_currency: str | None
    channel: str | None
    calculation: str | None
    amount: Decimal
    currency: str
    fx_rate: Decimal
    base_amount: Decimal
    reverses_id: int | None


class Totals(BaseModel):
    """The period's sum in the base currency and per currency booked."""

    base: Decimal
    by_currency: dict[str, Decimal]
    count: int


class Statement(BaseModel):
    user_id: int
    user_name: str
    role: Role
    start: date
    end: date
    base_currency: str
    lines: list[StatementLine]
    totals: Totals
    made_at: datetime


def statement(actor: Actor, user_id: int, start: date, end: date) -> Statement:
    """Every commission line of the person in the period (both days included), with totals."""
    with session_scope() as session:
        person = _person(session, actor, user_id, start, end)
        rows = session.execute(_lines(user_id, start, end).order_by(Transaction.value_date, Transaction.id)).all()
        return Statement(user_id=person.id, user_name=person.name, role=person.role, start=start, end=end,
                         base_currency=get_settings().base_currency, lines=[_line(row) for row in rows],
                         totals=_totals(session, user_id, start, end), made_at=utcnow())  # fmt: skip


def statement_page(
    actor: Actor, user_id: int, start: date, end: date, *, offset: int = 0, limit: int = 25, descending: bool = False
) -> tuple[Page[StatementLine], Totals]:
    """One page of the lines (by date) and the totals of the whole period, for the screen."""
    offset, limit = clamp(offset, limit)
    order = (Transaction.value_date.desc(), Transaction.id.desc()) if descending else (
        Transaction.value_date, Transaction.id)  # fmt: skip
    with session_scope() as session:
        _person(session, actor, user_id, start, end)
        totals = _totals(session, user_id, start, end)
        rows = session.execute(_lines(user_id, start, end).order_by(*order).offset(offset).limit(limit)).all()
        return Page(total=totals.count, items=[_line(row) for row in rows]), totals


def people(actor: Actor) -> dict[int, str]:
    """Whose statements the actor may open: everyone who ever earned a commission, or only themselves."""
    if not _sees_all(actor):
        require(actor, Permission.COMMISSIONS_VIEW_OWN)
        return {actor.id: actor.name} if actor.id else {}
    with session_scope() as session:
        earners = select(Transaction.user_id).where(Transaction.type.in_(COMMISSIONS)).distinct()
        query = select(User.id, User.name).where(sa.or_(User.id.in_(earners), User.role.in_((Role.AGENT, Role.SELLER))))
        return dict(session.exec(query.order_by(User.name, User.id)).all())


def statement_csv(actor: Actor, user_id: int, start: date, end: date) -> bytes:
    """The lines as CSV for a spreadsheet: UTF-8 with a byte-order mark (Excel), ISO dates, dot decimals."""
    data = statement(actor, user_id, start, end)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADINGS)
    for line in data.lines:
        writer.writerow([line.value_date.isoformat(), line.sku or '', line.kind, _text(line.sale_price),
                         line.sale_currency or '', line.channel or '', line.calculation or '', _text(line.amount),
                         line.currency, _text(line.fx_rate), _text(line.base_amount), data.base_currency,
                         line.transaction_id, line.reverses_id or ''])  # fmt: skip
    return out.getvalue().encode('utf-8-sig')


def statement_pdf(actor: Actor, user_id: int, start: date, end: date) -> bytes:
    """An A4 statement: who, the period, the lines, the totals, and "page n of m" on every page."""
    data = statement(actor, user_id, start, end)
    out = io.BytesIO()
    document = SimpleDocTemplate(out, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=18 * mm,
                                 bottomMargin=18 * mm, title=f'Commission statement {data.user_name}')  # fmt: skip
    document.build(_story(data), canvasmaker=_NumberedCanvas)
    return out.getvalue()


# --- reading ---------------------------------------------------------------------------------------------------


def _sees_all(actor: Actor) -> bool:
    return actor.can(Permission.COMMISSIONS_MANAGE) or actor.can(Permission.LEDGER_VIEW)


def _person(session: Session, actor: Actor, user_id: int, start: date, end: date) -> User:
    """The person whose statement it is, once the actor may see it and the period makes sense."""
    if _sees_all(actor):
        require(actor)  # a stale actor is still refused
    else:
        require(actor, Permission.COMMISSIONS_VIEW_OWN)
        if user_id != actor.id:
            raise PermissionDenied('You may see only your own commission statement.')
    if end < start:
        raise ValidationFailed('The period ends before it starts.', {'end': 'Choose a day on or after the start.'})
    if (end - start).days > MAX_DAYS:
        raise ValidationFailed('Choose a period of at most three years.', {'start': 'At most three years.'})
    person = session.get(User, user_id)
    if person is None:
        raise NotFound('No such person.')
    return person


def _lines(user_id: int, start: date, end: date) -> Any:
    original = aliased(Transaction)
    kind = func.coalesce(original.type, Transaction.type).label('kind')
    return (
        sa.select(Transaction, kind, Watch.sku, Sale.price, Sale.currency.label('sale_currency'), Sale.channel)
        .outerjoin(original, original.id == Transaction.reverses_id)
        .outerjoin(Watch, Watch.id == Transaction.watch_id)
        .outerjoin(Sale, Sale.id == Transaction.sale_id)
        .where(Transaction.user_id == user_id, Transaction.value_date.between(start, end))
        .where(sa.or_(Transaction.type.in_(COMMISSIONS),
                      sa.and_(Transaction.type == T.REVERSAL, original.type.in_(COMMISSIONS))))
    )  # fmt: skip


def _line(row: Any) -> StatementLine:
    booking, kind, sku, price, sale_currency, channel = row
    return StatementLine(
        transaction_id=booking.id,
        value_date=booking.value_date,
        watch_id=booking.watch_id,
        sku=sku,
        kind=KINDS[T(kind)] + (' reversed' if booking.reverses_id else ''),
        sale_id=booking.sale_id,
        sale_price=price,
        sale_currency=sale_currency,
        channel=CHANNELS.get(channel, channel) if channel else None,
        calculation=booking.memo,
        amount=-booking.amount,
        currency=booking.currency,
        fx_rate=booking.fx_rate,
        base_amount=-booking.base_amount,
        reverses_id=booking.reverses_id,
    )


def _totals(session: Session, user_id: int, start: date, end: date) -> Totals:
    lines = _lines(user_id, start, end).subquery()
    exact = Money()  # sums come back as money on both databases (cents as integers on SQLite)
    rows = session.execute(
        sa.select(lines.c.currency, func.count(), sa.type_coerce(func.sum(lines.c.amount), exact),
                  sa.type_coerce(func.sum(lines.c.base_amount), exact))
        .group_by(lines.c.currency)
        .order_by(lines.c.currency)
    ).all()  # fmt: skip
    return Totals(
        base=-sum((base for _currency, _count, _total, base in rows), Decimal(0)),
        by_currency={currency: -total for currency, _count, total, _base in rows},
        count=sum(count for _currency, count, _total, _base in rows),
    )


def _text(value: Decimal | None) -> str:
    return '' if value is None else format(value, 'f')


# --- the PDF -----------------------------------------------------------------------------------------------------

_HEADINGS = ('Date', 'SKU', 'Kind', 'Sale', 'Calculation', 'Booked', 'Base')
_WIDTHS = [19 * mm, 24 * mm, 27 * mm, 26 * mm, 46 * mm, 21 * mm, 17 * mm]


def _story(data: Statement) -> list[Any]:
    styles = getSampleStyleSheet()
    small = styles['BodyText'].clone('small', fontSize=7.5, leading=9)
    period = f'{data.start.isoformat()} to {data.end.isoformat()}'
    story: list[Any] = [
        Paragraph('Commission statement', styles['Title']),
        Paragraph(f'{_escape(data.user_name)} ({data.role.value}) · {period}', styles['Heading3']),
        Paragraph(
            f'Made {data.made_at:%Y-%m-%d %H:%M} UTC · amounts in the booked currency and in '
            f'{data.base_currency}; reversals are negative.',
            small,
        ),
        Spacer(1, 5 * mm),
    ]
    rows: list[list[Any]] = [list(_HEADINGS)]
    for line in data.lines:
        sale = f'{_amount(line.sale_price)} {line.sale_currency or ""}'.strip() if line.sale_price else ''
        rows.append([line.value_date.isoformat(), line.sku or '', line.kind, Paragraph(_escape(sale), small),
                     Paragraph(_escape(line.calculation or ''), small), f'{_amount(line.amount)} {line.currency}',
                     _amount(line.base_amount)])  # fmt: skip
    if not data.lines:
        rows.append(['', '', 'No commissions in this period.', '', '', '', ''])
    rows.append(['', '', 'Total', '', '', '', _amount(data.totals.base)])
    rows.extend(['', '', '', '', f'in {currency}', f'{_amount(total)} {currency}', '']
                for currency, total in data.totals.by_currency.items())  # fmt: skip
    table = Table(rows, colWidths=_WIDTHS, repeatRows=1)
    table.setStyle(_TABLE_STYLE)
    return [*story, table]


_TABLE_STYLE = TableStyle(
    [
        ('FONT', (0, 0), (-1, -1), 'Helvetica', 7.5),
        ('FONT', (0, 0), (-1, 0), 'Helvetica-Bold', 7.5),
        ('LINEBELOW', (0, 0), (-1, 0), 0.6, colors.black),
        ('VALIGN', (0, 0), (-1, -1), 'TOP'),
        ('ALIGN', (5, 0), (-1, -1), 'RIGHT'),
        ('ROWBACKGROUNDS', (0, 1), (-1, -1), [colors.white, colors.HexColor('#f5f5f4')]),
    ]
)


class _NumberedCanvas(Canvas):
    """Holds every page until the end, so each can say "page n of m"."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:  # reportlab calls it by this name
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        for page in self._pages:
            self.__dict__.update(page)
            self.setFont('Helvetica', 7.5)
            self.drawRightString(A4[0] - 15 * mm, 10 * mm, f'Page {self._pageNumber} of {len(self._pages)}')
            super().showPage()
        super().save()


def _amount(value: Decimal | None) -> str:
    return '' if value is None else f'{value:,.2f}'


def _escape(text: str) -> str:
    return text.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')
