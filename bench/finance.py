"""Finance reports and a watch's Finance tab over a realistic ledger.

    .venv/bin/python bench/finance.py [--transactions 100000] [--runs 10] [--postgres postgresql://...]

Loads demo watches (services/demo.py: each comes with its purchase) into a scratch SQLite installation (or, with
--postgres, a scratch database made on that server and dropped afterwards), then books, for every demo watch
that has a sale date, a sale (a `sales` row) with its platform fee, shipping and the agent's and the seller's
commissions, inserted in bulk as demo.py does and continuing the hash chain; service costs on stock watches
fill up to the number of transactions asked for. Prints p50/p95 of the last year's P/L by month and by quarter
(target under 1 s), of each by-dimension report, of stock value and aged stock, and of `watch_pnl` for sold
watches (the Finance tab's server time; target under 50 ms). Asserts nothing.

Measured on the shared 2-core build machine (p50 / p95): SQLite, 100,000 transactions: the year's P/L by month
264 / 396 ms, by quarter 175 / 177 ms, by dimension 241-314 / 274-449 ms, stock value 9-49 ms, aged stock
21 / 41 ms, watch_pnl 7.2 / 17.7 ms. PostgreSQL, 10,000 transactions: P/L by month 39 / 45 ms, by dimension
24-75 / 47-90 ms, watch_pnl 9.1 / 17.8 ms.
"""

from __future__ import annotations

import argparse
import itertools
import random
import statistics
import time
from collections.abc import Callable
from contextlib import nullcontext
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from scratch import scratch_postgres, scratch_sqlite

SCRATCH_DATABASE = 'svcrm_bench_finance'
CHUNK = 4000
# per sold watch: (type, share of the price); the sale itself comes first
SALE_COSTS = (('platform_fee', Decimal('0.125')), ('shipping', Decimal('0.01')), ('agent_commission', Decimal('0.05')),
              ('seller_commission', Decimal('0.03')))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--transactions', type=int, default=100_000)
    parser.add_argument('--runs', type=int, default=10)
    parser.add_argument('--postgres', help='a PostgreSQL server to make a scratch database on (default: SQLite)')
    args = parser.parse_args()
    with scratch_sqlite(), scratch_postgres(args.postgres, SCRATCH_DATABASE) if args.postgres else nullcontext():
        started = time.perf_counter()
        total = fill(args.transactions)
        where = 'PostgreSQL' if args.postgres else 'SQLite'
        print(f'{total:,} transactions on {where}, loaded in {time.perf_counter() - started:.0f} s')
        measure(args.runs)


def fill(transactions: int) -> int:
    """Demo watches with their purchases, then sales and their costs in bulk; returns the transactions booked."""
    from services import demo, maintenance

    demo.seed(watches=max(1, transactions // 3))
    booked = _book_sales(transactions)
    maintenance.optimize_database()
    return booked


def _book_sales(target: int) -> int:
    import sqlalchemy as sa

    from db.engine import session_scope
    from db.inventory import Watch
    from db.ledger import Transaction
    from db.sales import Sale
    from services import ledger

    rng = random.Random(11)
    with session_scope() as session:
        watches = session.execute(
            sa.select(Watch.id, Watch.sold_on, Watch.asking_price, Watch.agent_id, Watch.seller_id).order_by(Watch.id)
        ).all()
        count = session.execute(sa.select(sa.func.count(Transaction.id))).scalar_one()
        next_sale = 1 + (session.execute(sa.select(sa.func.max(Sale.id))).scalar() or 0)
        next_id = 1 + session.execute(sa.select(sa.func.max(Transaction.id))).scalar_one()
        prev = ledger.last_hash(session)
        sales, rows = [], []

        def add(kind: str, amount: Decimal, day: date, watch_id: int, **links: Any) -> None:
            nonlocal prev
            row = {'id': next_id + len(rows), 'type': kind, 'value_date': day, 'amount': amount, 'currency': 'EUR',
                   'fx_rate': Decimal(1), 'base_amount': amount, 'base_currency': 'EUR', 'watch_id': watch_id,
                   'user_id': links.get('user_id'), 'contact_id': None, 'batch_id': None,
                   'sale_id': links.get('sale_id'), 'reverses_id': None, 'reference': None, 'memo': None,
                   'created_by_id': None, 'prev_hash': prev}  # fmt: skip
            prev = row['row_hash'] = ledger.row_hash(prev, row)
            rows.append(row)

        for watch_id, sold_on, asking, agent, seller in watches:
            if count + len(rows) >= target:
                break
            if sold_on is None:
                continue
            price = (asking or Decimal(1000)) * Decimal(rng.randint(85, 110)) / 100
            price = price.quantize(Decimal('0.01'))
            channel = rng.choice(['catawiki', 'tradera'])
            sales.append({'id': next_sale + len(sales), 'watch_id': watch_id, 'channel': channel, 'price': price,
                          'currency': 'EUR', 'sold_on': sold_on})  # fmt: skip
            sale_id = sales[-1]['id']
            add('sale', price, sold_on, watch_id, sale_id=sale_id)
            for kind, share in SALE_COSTS:
                person = agent if kind == 'agent_commission' else seller if kind == 'seller_commission' else None
                add(
                    kind, -(price * share).quantize(Decimal('0.01')), sold_on, watch_id, sale_id=sale_id, user_id=person
                )
        stock = [row for row in watches if row.sold_on is None]
        while count + len(rows) < target:
            watch_id = rng.choice(stock).id
            add('service', -Decimal(rng.randint(50, 600)), date.today() - timedelta(days=rng.randrange(365)), watch_id)
        session.execute(sa.insert(Sale.__table__), sales)
        for start in range(0, len(rows), CHUNK):
            session.execute(sa.insert(Transaction.__table__), rows[start : start + CHUNK])
        if session.get_bind().dialect.name == 'postgresql':
            for table in ('sales', 'transactions'):
                session.execute(
                    sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
                )
        return count + len(rows)


def measure(runs: int) -> None:
    import sqlalchemy as sa

    from db.engine import session_scope
    from db.sales import Sale
    from services import pnl, reports
    from services.permissions import SYSTEM

    today = date.today()
    year = {'start': today - timedelta(days=364), 'end': today}
    timed('P/L of the last year by month', runs, lambda: reports.pnl_over_time(SYSTEM, year))
    timed('P/L of the last year by quarter', runs, lambda: reports.pnl_over_time(SYSTEM, year, 'quarter'))
    for dimension in reports.DIMENSIONS:
        timed(f'P/L of the last year by {dimension}', runs, lambda d=dimension: reports.pnl_by(SYSTEM, year, d))
    timed('stock value by stage', runs, lambda: reports.stock_value(SYSTEM, 'stage'))
    timed('stock value by location', runs, lambda: reports.stock_value(SYSTEM, 'location'))
    timed('aged stock', runs, lambda: reports.aged_stock(SYSTEM))
    with session_scope() as session:
        sold = list(session.execute(sa.select(Sale.watch_id).order_by(Sale.id)).scalars())
    sample = random.Random(5).sample(sold, min(200, len(sold)))
    figures = itertools.cycle(sample)
    timed(
        f'watch_pnl of a sold watch ({len(sample)} watches)', len(sample), lambda: pnl.watch_pnl(SYSTEM, next(figures))
    )


def timed(label: str, runs: int, work: Callable[[], object]) -> None:
    work()  # warm the caches once, as a screen in use would have them
    took = []
    for _ in range(runs):
        begun = time.perf_counter()
        work()
        took.append((time.perf_counter() - begun) * 1000)
    took.sort()
    p95 = took[max(0, int(len(took) * 0.95) - 1)]
    print(f'{label}: p50 {statistics.median(took):.1f} ms, p95 {p95:.1f} ms')


if __name__ == '__main__':
    main()
