"""Labels: valid PDFs with one label per Brother page or 24 per A4 sheet, ZPL blocks, and bars that scan as the SKU."""

from __future__ import annotations

import base64
import re
import zlib

import pytest
from reportlab.graphics.barcode.code128 import _patterns as CODE128_PATTERNS

from config import get_settings
from db.engine import session_scope
from db.enums import Role
from db.inventory import Watch
from services import labels
from services.errors import NotFound, PermissionDenied, ValidationFailed
from tests.factories import make_user, make_watch

# Code 128 as reportlab writes it (an implementation independent of python-barcode, which draws our bars):
# 'BaBbBb' is bar 1, space 1, bar 2, space 1, bar 2, space 2 modules wide.
_SYMBOLS = {
    ''.join(('1' if part.isupper() else '0') * ' abcd'.index(part.lower()) for part in pattern): value
    for value, pattern in CODE128_PATTERNS.items()
}


@pytest.fixture
def public_url(db: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv('SV_PUBLIC_URL', 'https://crm.example.se/')
    get_settings.cache_clear()
    return 'https://crm.example.se'


def _sku(watch_id: int) -> str:
    with session_scope() as session:
        watch = session.get(Watch, watch_id)
        assert watch is not None
        return watch.sku


def _page_count(pdf: bytes) -> int:
    return len(re.findall(rb'/Type /Page\b', pdf))


def _pages(pdf: bytes) -> list[str]:
    """The drawing operators of each page (reportlab compresses them with Flate, then ASCII85)."""
    assert pdf.startswith(b'%PDF-') and pdf.rstrip().endswith(b'%%EOF')
    streams = re.findall(
        rb'/Filter \[ /ASCII85Decode /FlateDecode \] /Length \d+\s*>>\s*stream\r?\n(.*?)endstream', pdf, re.S
    )
    return [
        zlib.decompress(base64.a85decode(stream.strip().removesuffix(b'~>'))).decode('latin-1') for stream in streams
    ]


def _bars(page: str) -> str:
    """The modules of the tallest row of rectangles on a one-label page: '1' per black module, '0' per white."""
    rects = [tuple(map(float, found)) for found in re.findall(r'n ([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+) re f', page)]
    tallest = max(height for _, _, _, height in rects)
    bars = sorted((x, width) for x, _, width, height in rects if height == tallest)
    module = min(width for _, width in bars)
    bits = ''
    for (x, width), (next_x, _) in zip(bars, [*bars[1:], (bars[-1][0] + bars[-1][1], 0)], strict=True):
        bits += '1' * round(width / module) + '0' * round((next_x - x - width) / module)
    return bits


def _decode_code128(bits: str) -> str:
    """Read a Code 128 symbol (code sets B and C), checking the start code, the check digit and the stop."""
    *values, stop = [_SYMBOLS[bits[i : i + 11]] for i in range(0, len(bits) - 13, 11)] + [_SYMBOLS[bits[-13:]]]
    start, *data, check = values
    assert stop == 106 and start in (104, 105)
    assert (start + sum(position * value for position, value in enumerate(data, start=1))) % 103 == check
    code, text = 'B' if start == 104 else 'C', ''
    for value in data:
        if code == 'C' and value < 100:
            text += f'{value:02d}'
        elif code == 'B' and value < 96:
            text += chr(value + 32)
        else:
            code = {99: 'C', 100: 'B'}[value]
    return text


def test_a_brother_pdf_has_one_page_per_label_with_bars_that_scan_as_the_sku(public_url):
    manager = make_user(Role.MANAGER)
    first = make_watch(brand='Omega', model='Speedmaster Professional', reference='145.022')
    second = make_watch(brand='Glashütte Original', model='Senator Chronometer Regulator Grande Date Edition')
    pdf = labels.brother_pdf(manager, [second, first, second])
    assert _page_count(pdf) == 2, 'each watch once, in the order chosen'
    pages = _pages(pdf)
    assert [_decode_code128(_bars(page)) for page in pages] == [_sku(second), _sku(first)]
    assert f'({_sku(first)}) Tj' in pages[1] and '(Omega) Tj' in pages[1] and '(Ref. 145.022) Tj' in pages[1]
    assert '(Glash\\374tte Original) Tj' in pages[0], 'ü in the PDF encoding'
    assert re.search(r'\(Senator Chronometer[^)]*\\205\) Tj', pages[0]), 'a long model is cut short with …'
    assert b'/MediaBox [ 0 0 175.748 82.20472 ]' in pdf, '62 x 29 mm'
    for watch_id in (first, second):
        assert f'/URI ({public_url}/watches/{watch_id})'.encode() in pdf


def test_an_a4_sheet_holds_24_labels_in_a_3_by_8_grid(db):
    manager = make_user(Role.MANAGER)
    ids = [make_watch() for _ in range(25)]
    pdf = labels.a4_sheet_pdf(manager, ids)
    assert _page_count(pdf) == 2
    first, second = _pages(pdf)
    assert re.findall(r'\((SV-[\d-]+)\) Tj', first) == [_sku(watch_id) for watch_id in ids[:24]]
    assert re.findall(r'\((SV-[\d-]+)\) Tj', second) == [_sku(ids[24])]
    origins = [tuple(map(float, xy)) for xy in re.findall(r'q\n1 0 0 1 ([\d.]+) ([\d.]+) cm', first)]
    assert len(origins) == 24
    assert sorted({round(x / 72 * 25.4) for x, _ in origins}) == [0, 70, 140]
    assert sorted({round(y / 72 * 25.4, 1) for _, y in origins}) == [0.5 + 37 * row for row in range(8)]


def test_zpl_has_one_block_per_label_with_code_128_and_qr(public_url):
    manager = make_user(Role.MANAGER)
    plain = make_watch(brand='Rolex', model='Datejust', reference='1601')
    odd = make_watch(brand='Glashütte', model='Senator ^XZ~JA_1')
    long = make_watch(brand='Rolex', model='Day-Date President Bark Finish Platinum Tridor Pavé')
    text = labels.zpl(manager, [plain, odd, long])
    blocks = re.findall(r'\^XA.*?\^XZ', text, re.S)
    assert len(blocks) == 3 and text.count('^XA') == 3
    for block, watch_id in zip(blocks, (plain, odd, long), strict=True):
        assert block.startswith('^XA^CI28^PW496^LL232')
        assert re.search(rf'\^BCN,\d+,Y,N,N,A\^FH_\^FD{_sku(watch_id)}\^FS', block)
        assert '^BQN,2,' in block and f'^FDMA,{public_url}/watches/{watch_id}^FS' in block
    assert '^FDRolex^FS' in blocks[0] and '^FDRef. 1601^FS' in blocks[0]
    assert '^FDGlashütte^FS' in blocks[1]
    assert '^FDSenator _5EXZ_7EJA_5F1^FS' in blocks[1], 'data cannot end the label or start a command'
    assert re.search(r'\^FDDay-Date President [\w ]+\.\.\.\^FS', blocks[2]), 'cut to one line'


def test_refusals_produce_nothing(db):
    agent = make_user(Role.AGENT)
    mine, theirs = make_watch(agent=agent), make_watch(agent=make_user(Role.AGENT))
    for output in (labels.brother_pdf, labels.a4_sheet_pdf, labels.zpl):
        with pytest.raises(PermissionDenied, match='print labels'):
            output(make_user(Role.SELLER), [mine])
        with pytest.raises(NotFound, match='1 of the chosen watches'):
            output(agent, [mine, theirs])
        with pytest.raises(ValidationFailed, match='at least one watch'):
            output(agent, [])
        with pytest.raises(
            ValidationFailed, match='At most 1,000 labels can be made at once; 1,001 watches were chosen'
        ):
            output(agent, list(range(1, 1002)))
    assert labels.zpl(agent, [mine]).count('^XA') == 1, 'the same agent may print their own watch'
