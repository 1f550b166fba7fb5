"""Finance reports and a watch's Finance tab over a realistic ledger.

    .venv/bin/python bench/finance.py [--transactions 100000] [--runs 10] [--postgres postgresql://...]

Loads demo watches (services/demo.py: each comes with its purchase, and every one with a sale date with its
sale, platform fee, shipping and the agent's and the seller's commissions) into a scratch SQLite installation
(or, with --postgres, a scratch database made on that server and dropped afterwards); service costs on stock
watches, booked through `ledger.post_many`, fill up to the number of transactions asked for. Prints p50/p95 of
the last year's P/L by month and by quarter (target under 1 s), of each by-dimension report, of stock value and
aged stock, and of `watch_pnl` for sold watches (the Finance tab's server time; target under 50 ms). Asserts
nothing.
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

from scratch import scratch_postgres, scratch_sqlite

SCRATCH_DATABASE = 'svcrm_bench_finance'
CHUNK = 1000  # service costs booked per `post_many`


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
    """Demo watches with their purchases and sales, then service costs; returns the transactions booked."""
    from services import demo, maintenance

    demo.seed(watches=max(1, transactions // 3))
    booked = _add_service_costs(transactions)
    maintenance.optimize_database()
    return booked


def _add_service_costs(target: int) -> int:
    """Service costs on random stock watches over the last year until the ledger holds `target` rows."""
    import sqlalchemy as sa

    from db.engine import session_scope
    from db.enums import TransactionType
    from db.inventory import Watch
    from db.ledger import Transaction
    from services import ledger

    rng = random.Random(11)
    with session_scope() as session:
        stock = list(session.execute(sa.select(Watch.id).where(Watch.sold_on.is_(None)).order_by(Watch.id)).scalars())
        count = session.execute(sa.select(sa.func.count(Transaction.id))).scalar_one()
    while count < target:
        entries = [
            ledger.Entry(type=TransactionType.SERVICE, amount=-Decimal(rng.randint(50, 600)), currency='EUR',
                         value_date=date.today() - timedelta(days=rng.randrange(365)), watch_id=rng.choice(stock))
            for _ in range(min(CHUNK, target - count))
        ]  # fmt: skip
        with session_scope() as session:
            count += len(ledger.post_many(session, entries, created_by_id=None))
    return count


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
