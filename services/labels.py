"""Labels for watches: a Code 128 of the SKU for the desk scanner, a QR code linking to the watch for phones.

One layout, three outputs: a PDF for the Brother QL (one 62 x 29 mm page per label, printed at 300 dpi), an
A4 sheet of 3 x 8 labels of 70 x 37 mm for office printers, and ZPL for Zebra printers (203 dpi). Bars are
drawn as vectors a whole number of 300 dpi dots wide, so the printer never has to round a bar's width.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import barcode
import segno
from pydantic import BaseModel
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from sqlmodel import Session, select

from config import get_settings
from db.engine import session_scope
from db.inventory import Watch
from services.errors import NotFound, ValidationFailed
from services.permissions import Actor, Permission, require
from services.scope import scoped

MAX_LABELS = 1000
Layout = Literal['brother', 'a4', 'zpl']
# each layout's file: (name, media type)
FILES: dict[str, tuple[str, str]] = {
    'brother': ('labels-brother.pdf', 'application/pdf'),
    'a4': ('labels-a4.pdf', 'application/pdf'),
    'zpl': ('labels.zpl', 'text/plain'),
}
QUIET_MODULES = 10  # Code 128 needs ten blank modules either side of the bars
_DOT = 72 / 300  # one dot of a 300 dpi printer, in points
_ZPL_SPECIAL = re.compile(r'[_^~]')
_ZPL_WIDTH, _ZPL_HEIGHT, _ZPL_EDGE = 496, 232, 16  # 62 x 29 mm at 203 dpi (8 dots/mm), 2 mm edge


class LabelData(BaseModel):
    """What one label shows."""

    watch_id: int
    sku: str
    brand: str
    model: str
    reference: str | None
    url: str


@dataclass(frozen=True)
class _Sheet:
    """Where labels go on a page, in points: `top` is the blank strip above the first row."""

    page: tuple[float, float]
    label: tuple[float, float]
    columns: int
    rows: int
    top: float
    padding: float


BROTHER_62X29 = _Sheet(page=(62 * mm, 29 * mm), label=(62 * mm, 29 * mm), columns=1, rows=1, top=0, padding=1.5 * mm)
A4_3X8 = _Sheet(page=A4, label=(70 * mm, 37 * mm), columns=3, rows=8, top=(A4[1] - 8 * 37 * mm) / 2, padding=3 * mm)


def brother_pdf(actor: Actor, watch_ids: Sequence[int]) -> bytes:
    """Labels for a Brother QL with 62 x 29 mm die-cut labels (DK-11209): one page per label."""
    return _pdf(_labels(actor, watch_ids), BROTHER_62X29)


def a4_sheet_pdf(actor: Actor, watch_ids: Sequence[int]) -> bytes:
    """Labels on A4 sheets of 3 x 8 labels of 70 x 37 mm, as many pages as needed."""
    return _pdf(_labels(actor, watch_ids), A4_3X8)


def zpl(actor: Actor, watch_ids: Sequence[int]) -> str:
    """Labels for a Zebra printer (203 dpi, 62 x 29 mm): one ^XA...^XZ block per label, UTF-8 text."""
    return ''.join(_zpl_label(label) for label in _labels(actor, watch_ids))


def code128_modules(sku: str) -> str:
    """The bars of the SKU's Code 128 symbol, one character per module: '1' black, '0' white."""
    return barcode.get('code128', sku).build()[0]


def _labels(actor: Actor, watch_ids: Sequence[int]) -> list[LabelData]:
    """The chosen watches in the order chosen (each once); refuses the whole batch if one is out of reach."""
    ids = check_selection(actor, watch_ids)
    with session_scope() as session:
        found = load_labels(session, actor, ids)
    if missing := len(ids) - len(found):
        raise NotFound(f'{missing} of the chosen watches no longer exist or are not yours; no labels were made.')
    return [found[watch_id] for watch_id in ids]


def check_selection(actor: Actor, watch_ids: Sequence[int]) -> list[int]:
    """The chosen ids, each once in the order chosen, if the actor may print them and there are not too many."""
    require(actor, Permission.LABELS_PRINT, Permission.INVENTORY_VIEW)
    ids = list(dict.fromkeys(watch_ids))
    if not ids:
        raise ValidationFailed('Choose at least one watch to print labels for.')
    if len(ids) > MAX_LABELS:
        raise ValidationFailed(f'At most {MAX_LABELS:,} labels can be made at once; {len(ids):,} watches were chosen.')
    return ids


def load_labels(session: Session, actor: Actor, ids: Sequence[int]) -> dict[int, LabelData]:
    """What each label shows, by watch id, for the chosen watches the actor may see (others are left out)."""
    base = get_settings().effective_public_url
    rows = session.exec(scoped(select(Watch).where(Watch.id.in_(ids)), actor))
    return {
        w.id: LabelData(
            watch_id=w.id, sku=w.sku, brand=w.brand, model=w.model, reference=w.reference, url=f'{base}/watches/{w.id}'
        )
        for w in rows
    }


def render(layout: Layout, labels: list[LabelData]) -> bytes:
    """The labels in one of the three layouts, as the file's bytes."""
    if layout == 'zpl':
        return ''.join(_zpl_label(label) for label in labels).encode()
    return _pdf(labels, BROTHER_62X29 if layout == 'brother' else A4_3X8)


def _pdf(labels: list[LabelData], sheet: _Sheet) -> bytes:
    buffer = io.BytesIO()
    pdf = Canvas(buffer, pagesize=sheet.page)
    pdf.setTitle('Watch labels')
    pdf.setCreator('SecondVintage CRM')
    per_page = sheet.columns * sheet.rows
    for index, label in enumerate(labels):
        if index and not index % per_page:
            pdf.showPage()
        row, column = divmod(index % per_page, sheet.columns)
        pdf.saveState()
        pdf.translate(column * sheet.label[0], sheet.page[1] - sheet.top - (row + 1) * sheet.label[1])
        _draw_label(pdf, label, *sheet.label, sheet.padding)
        pdf.restoreState()
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _draw_label(pdf: Canvas, label: LabelData, width: float, height: float, padding: float) -> None:
    """Top half: brand, model and reference beside the QR code; bottom: the bars across, the SKU beneath."""
    inner = height - 2 * padding
    top = padding + inner * 0.5
    qr_side = inner * 0.5
    _draw_qr(pdf, label.url, width - padding - qr_side, top, qr_side)
    lines = [('Helvetica-Bold', label.brand), ('Helvetica', label.model)]
    if label.reference:
        lines.append(('Helvetica', f'Ref. {label.reference}'))
    size, room = qr_side / 3.3, width - 3 * padding - qr_side
    for number, (font, text) in enumerate(lines, start=1):
        pdf.setFont(font, size)
        pdf.drawString(padding, height - padding - number * size * 1.08, _fitted(text, font, size, room))
    sku_size = inner * 0.12
    _draw_bars(pdf, code128_modules(label.sku), width, padding + sku_size * 1.2, inner * 0.33)
    pdf.setFont('Helvetica', sku_size)
    pdf.drawCentredString(width / 2, padding, label.sku)


def _draw_bars(pdf: Canvas, modules: str, width: float, bottom: float, height: float) -> None:
    """The symbol centred across the label, each module a whole number of dots where the width allows."""
    fitting = width / (len(modules) + 2 * QUIET_MODULES)
    module = math.floor(fitting / _DOT) * _DOT or fitting
    left = (width - len(modules) * module) / 2
    for start, length in _runs(modules):
        pdf.rect(left + start * module, bottom, length * module, height, stroke=0, fill=1)


def _draw_qr(pdf: Canvas, url: str, left: float, bottom: float, side: float) -> None:
    """The QR code with a one-module margin inside `side`, and a link on it for whoever opens the PDF."""
    matrix = segno.make(url, error='m', micro=False).matrix
    module = side / (len(matrix) + 2)
    for row, bits in enumerate(matrix):
        y = bottom + side - (row + 2) * module
        for start, length in _runs(''.join('1' if bit else '0' for bit in bits)):
            pdf.rect(left + (start + 1) * module, y, length * module, module, stroke=0, fill=1)
    pdf.linkURL(url, (left, bottom, left + side, bottom + side), relative=1)


def _runs(bits: str) -> list[tuple[int, int]]:
    """(start, length) of each run of '1': one rectangle per bar rather than per module."""
    return [(match.start(), len(match.group())) for match in re.finditer('1+', bits)]


def _fitted(text: str, font: str, size: float, width: float) -> str:
    """The text, shortened with an ellipsis if it would run into the QR code."""
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + '…', font, size) > width:
        text = text[:-1]
    return text.rstrip() + '…'


def _zpl_label(label: LabelData) -> str:
    """62 x 29 mm at 8 dots/mm: text and QR code in the top 100 dots, the bars and the SKU below."""
    modules = len(code128_modules(label.sku))
    bar_module = max(1, min(3, (_ZPL_WIDTH - 2 * _ZPL_EDGE) // (modules + 2 * QUIET_MODULES)))
    qr_side = len(segno.make(label.url, error='m', micro=False).matrix)
    qr_magnification = max(1, min(10, 100 // qr_side))
    qr_left = _ZPL_WIDTH - _ZPL_EDGE - qr_side * qr_magnification
    lines = [(28, label.brand), (24, label.model)] + ([(22, f'Ref. {label.reference}')] if label.reference else [])
    room = qr_left - 2 * _ZPL_EDGE
    text = ''.join(
        f'^FO{_ZPL_EDGE},{12 + 30 * number}^A0N,{size},{size}^FB{room},1,0,L{_zpl_data(_zpl_fitted(value, size, room))}'
        for number, (size, value) in enumerate(lines)
    )
    return (
        f'^XA^CI28^PW{_ZPL_WIDTH}^LL{_ZPL_HEIGHT}\n{text}\n'
        f'^FO{qr_left},0^BQN,2,{qr_magnification}{_zpl_data("MA," + label.url)}\n'
        f'^FO{(_ZPL_WIDTH - modules * bar_module) // 2},112^BY{bar_module}^BCN,72,Y,N,N,A{_zpl_data(label.sku)}\n^XZ\n'
    )


def _zpl_fitted(text: str, size: int, room: int) -> str:
    """Cut to what fits on one line (font 0 averages well under 0.6 of its height per character): ^FB would
    otherwise print the overflow on top of the line."""
    most = int(room / (size * 0.6))
    return text if len(text) <= most else text[: most - 3].rstrip() + '...'


def _zpl_data(value: str) -> str:
    """The field's data behind ^FH, so `_`, `^` and `~` in it travel as hex escapes instead of ending the field."""
    escaped = _ZPL_SPECIAL.sub(lambda match: f'_{ord(match.group()):02X}', ' '.join(value.split()))
    return f'^FH_^FD{escaped}^FS'
