"""Time of booking through `services.bookings.book_many` in feeds of 1,000 as the API takes them (or, with
--feed 1, through `bookings.book`, one unit of work per booking as a screen does), then of verifying the chain.

    .venv/bin/python bench/ledger.py [--bookings 100000] [--feed 1000] [--postgres postgresql://...]

Fills a scratch SQLite installation (or, with --postgres, a scratch database created on that server and dropped
afterwards) with bookings of mixed types and currencies (EUR, and SEK and USD at a rate a day), each through the
real path: permission, validation, link checks, rate lookup, the head lock, the hash chain, the audit entry and
the commit. Prints the total, the bookings per second and p50/p95 per booking, then the verification's time and
the page of the ledger list; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from contextlib import nullcontext
from datetime import date, timedelta
from decimal import Decimal

from scratch import scratch_postgres, scratch_sqlite

SCRATCH_DATABASE = 'svcrm_bench_ledger'
TYPES = ['purchase', 'service', 'shipping', 'platform_fee', 'refund', 'adjustment']
CURRENCIES = ['EUR', 'EUR', 'SEK', 'USD']
START = date(2024, 1, 1)


def rates(days: int) -> None:
    """A SEK and a USD rate for every day the bookings fall on."""
    from db.engine import session_scope
    from db.ledger import FxRate

    with session_scope() as session:
        for offset in range(days):
            day = START + timedelta(days=offset)
            session.add(FxRate(currency='SEK', rate_date=day, rate=Decimal('11.4'), source='manual'))
            session.add(FxRate(currency='USD', rate_date=day, rate=Decimal('1.08'), source='manual'))


def _booking(rng: random.Random, number: int, days: int) -> dict:
    return {'type': rng.choice(TYPES), 'amount': f'{rng.randint(100, 900_000) / 100:.2f}',
            'currency': rng.choice(CURRENCIES), 'value_date': START + timedelta(days=rng.randrange(days)),
            'reference': f'B-{number}'}  # fmt: skip


def percentile(values: list[float], share: float) -> float:
    return values[max(0, int(len(values) * share) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--bookings', type=int, default=100_000)
    parser.add_argument('--feed', type=int, default=1_000, help='bookings per book_many call (1: book one by one)')
    parser.add_argument('--postgres', help='a PostgreSQL server to make a scratch database on (default: SQLite)')
    args = parser.parse_args()
    with scratch_sqlite(), scratch_postgres(args.postgres, SCRATCH_DATABASE) if args.postgres else nullcontext():
        from db.enums import Role
        from services import accounts, bookings, ledger_verify
        from services.permissions import SYSTEM

        user, _ = accounts.create_user(SYSTEM, accounts.parse_user(email='f@example.com', name='F', role=Role.FINANCE))
        finance = accounts.load_actor(user.id)
        days = (date.today() - START).days
        rates(days)
        rng = random.Random(7)
        feed = max(1, args.feed)
        took: list[float] = []
        started = time.perf_counter()
        for first in range(0, args.bookings, feed):
            items = [_booking(rng, number, days) for number in range(first, min(first + feed, args.bookings))]
            begun = time.perf_counter()
            bookings.book(finance, items[0]) if feed == 1 else bookings.book_many(finance, items)
            took.append((time.perf_counter() - begun) * 1000 / len(items))
        total = time.perf_counter() - started
        took.sort()
        where = 'PostgreSQL' if args.postgres else 'SQLite'
        path = 'bookings.book, one unit of work each' if feed == 1 else f'bookings.book_many, feeds of {feed:,}'
        print(f'{args.bookings:,} bookings through {path} on {where} in {total:.1f} s '
              f'({args.bookings / total:,.0f}/s); load average {os.getloadavg()[0]:.2f}')  # fmt: skip
        print(f'per booking: p50 {statistics.median(took):.2f} ms, p95 {percentile(took, 0.95):.2f} ms, '
              f'max {took[-1]:.1f} ms')  # fmt: skip
        started = time.perf_counter()
        result = ledger_verify.verify()
        print(f'verify: {result.summary} in {time.perf_counter() - started:.1f} s')
        started = time.perf_counter()
        page = bookings.list_transactions(finance, {'types': ['service']}, limit=25)
        print(f'ledger list, services only, first page: {(time.perf_counter() - started) * 1000:.1f} ms '
              f'({page.total:,}{"+" if page.total_capped else ""} found)')  # fmt: skip


if __name__ == '__main__':
    main()
