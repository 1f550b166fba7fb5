"""How fast a statement is imported and matched: 20,000 lines against generated sales, in a fresh SQLite database.

Run it from the checkout:

    .venv/bin/python bench/reconciliation.py [--lines N] [--sales N]

Every sale gets a SALE and a PLATFORM_FEE booking; the statement pays a quarter of them exactly, a quarter with a
difference, and the rest of its lines find nothing. It prints the seconds of the import (reading, matching and
storing every line) and of matching all open lines again. Figures only: nothing here passes or fails.
"""

from __future__ import annotations

import argparse
import time
from datetime import date, timedelta
from decimal import Decimal

from scratch import scratch_sqlite

START = date(2026, 1, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--lines', type=int, default=20_000)
    parser.add_argument('--sales', type=int, default=4_000)
    args = parser.parse_args()
    with scratch_sqlite():
        from services import reconciliation
        from services.permissions import SYSTEM

        started = time.perf_counter()
        _sales(args.sales)
        print(f'set-up: {args.sales:,} sales with 2 bookings each in {time.perf_counter() - started:.1f} s')
        content = _statement(args.lines, args.sales)
        mapping_id = reconciliation.ensure_generic_mapping()
        started = time.perf_counter()
        imported = reconciliation.import_statement(SYSTEM, 'bench.csv', content, mapping_id)
        seconds = time.perf_counter() - started
        print(f'import: {imported.line_count:,} lines ({len(content) / 1e6:.1f} MB) in {seconds:.1f} s '
              f'({imported.line_count / seconds:,.0f} lines/s); {imported.counts}')  # fmt: skip
        started = time.perf_counter()
        reconciliation.rematch(SYSTEM, imported.id)
        print(f'match again: {time.perf_counter() - started:.1f} s')


def _sales(count: int) -> None:
    """Sales spread over the first months of the year, as the sales service books them (price and fee)."""
    from sqlmodel import select

    from db.engine import session_scope
    from db.enums import TransactionType
    from db.inventory import Watch
    from db.sales import Sale
    from db.workflow import Stage
    from services import ledger

    with session_scope() as session:
        stage_id = session.exec(select(Stage.id).where(Stage.key == 'sold')).one()
        for number in range(count):
            day = START + timedelta(days=number % 120)
            watch = Watch(sku=f'BENCH-{number:06d}', brand='Omega', model='Seamaster', stage_id=stage_id)
            session.add(watch)
            session.flush()
            sale = Sale(watch_id=watch.id, channel='catawiki', price=Decimal(1000 + number), currency='EUR',
                        sold_on=day, reference=f'CW-{number:06d}')  # fmt: skip
            session.add(sale)
            session.flush()
            for kind, amount in ((TransactionType.SALE, sale.price), (TransactionType.PLATFORM_FEE, Decimal(100))):
                entry = ledger.Entry(type=kind, amount=ledger.signed(kind, amount), currency='EUR', value_date=day,
                                     watch_id=watch.id, sale_id=sale.id, reference=sale.reference)  # fmt: skip
                ledger.post(session, entry, created_by_id=None)


def _statement(lines: int, sales: int) -> bytes:
    rows = ['Date,Amount,Currency,Reference,Text']
    for number in range(lines):
        day = START + timedelta(days=number % 120 + 2)
        if number < sales:
            net = 900 + number + (0 if number % 2 else 5)
            rows.append(f'{day.isoformat()},{net}.00,EUR,cw-{number:06d},Catawiki payout')
        else:
            rows.append(f'{day.isoformat()},{number % 997}.50,EUR,BANK-{number},Card payment')
    return '\n'.join(rows).encode()


if __name__ == '__main__':
    main()
