"""Time of a contacts page (25 rows with its total) and of a picker's choices, for typical search texts.

    .venv/bin/python bench/contacts.py [--contacts 50000] [--runs 20] [--postgres postgresql://...]

Fills a scratch SQLite installation (or, with --postgres, a scratch database created on that server and dropped
afterwards) with generated contacts, a tenth of them firms and one in a hundred erased, refreshes the planner
statistics, and calls `services.contacts.list_contacts` and `choices` as the contacts screen and the supplier
picker do. Prints p50/p95 per text and the database's plan for the search; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from collections.abc import Callable
from contextlib import nullcontext

from scratch import scratch_postgres, scratch_sqlite

FIRST = ['Anna', 'Björn', 'Claire', 'Dieter', 'Élodie', 'Franco', 'Greta', 'Hugo', 'Ines', 'Jonas', 'Karin', 'Åsa']
LAST = ['Berg', 'Holm', 'Dubois', 'Meier', 'Rossi', 'Lind', 'Schmidt', 'Nilsson', 'Moreau', 'Keller', 'Müller', 'Ek']
CITIES = ['Zürich', 'Stockholm', 'Paris', 'München', 'Milano', 'Genève', 'Wien', 'Hamburg', 'Lyon', 'Oslo']
SCRATCH_DATABASE = 'svcrm_bench_contacts'
TEXTS = ['', 'a', 'an', 'anna', 'anna b', 'berg', 'müller', 'åsa', 'anna.berg', 'info1', 'zzz']


def fill(count: int) -> None:
    """Insert the contacts in one statement per ten thousand, then ANALYZE as the maintenance task does."""
    import sqlalchemy as sa

    from db.contacts import Contact
    from db.engine import get_engine
    from db.types import utcnow

    rng = random.Random(7)
    rows = []
    for number in range(count):
        first, last, city = rng.choice(FIRST), rng.choice(LAST), rng.choice(CITIES)
        firm = rng.random() < 0.1
        rows.append({
            'kind': 'company' if firm else 'person',
            'name': f'{last} Uhren AG' if firm else f'{first} {last}',
            'company': None if firm or rng.random() < 0.7 else f'{rng.choice(LAST)} & Co',
            'email': f'info{number}@{last.lower()}.example' if firm else f'{first}.{last}{number}@mail.example'.lower(),
            'city': city,
            'anonymised_at': utcnow() if rng.random() < 0.01 else None,
            'created_at': utcnow(),
        })  # fmt: skip
    with get_engine().begin() as connection:
        for start in range(0, count, 10_000):
            connection.execute(sa.insert(Contact.__table__), rows[start : start + 10_000])
        connection.exec_driver_sql('ANALYZE')


def plan(text: str) -> str:
    """The database's plan for one search page, in one line (look for the indexes at work)."""
    from sqlmodel import select

    from db.contacts import Contact
    from db.engine import get_engine
    from services.contacts import _narrowed

    engine = get_engine()
    query = _narrowed(select(Contact), text, None).order_by(Contact.name).limit(25)
    compiled = query.compile(engine, compile_kwargs={'literal_binds': True})
    explain = 'EXPLAIN QUERY PLAN' if engine.dialect.name == 'sqlite' else 'EXPLAIN (COSTS OFF)'
    with engine.connect() as connection:
        steps = connection.exec_driver_sql(f'{explain} {compiled}').all()
    return '; '.join(str(step[-1]).strip() for step in steps)


def timed(call: Callable[[], object], runs: int) -> tuple[float, float]:
    took = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        took.append((time.perf_counter() - start) * 1000)
    took.sort()
    return statistics.median(took), took[max(0, int(len(took) * 0.95) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--contacts', type=int, default=50_000)
    parser.add_argument('--runs', type=int, default=20)
    parser.add_argument('--postgres', help='a PostgreSQL server to make a scratch database on (default: SQLite)')
    args = parser.parse_args()
    with scratch_sqlite(), scratch_postgres(args.postgres, SCRATCH_DATABASE) if args.postgres else nullcontext():
        from db.enums import Role
        from services import accounts, contacts
        from services.permissions import SYSTEM

        user, _ = accounts.create_user(SYSTEM, accounts.parse_user(email='m@example.com', name='M', role=Role.MANAGER))
        manager = accounts.load_actor(user.id)
        started = time.perf_counter()
        fill(args.contacts)
        took = time.perf_counter() - started
        where = 'PostgreSQL' if args.postgres else 'SQLite'
        print(f'{args.contacts:,} contacts on {where} in {took:.1f} s; load average {os.getloadavg()[0]:.2f}')
        print(f'{"text":<12}{"page p50":>10}{"p95":>8}{"found":>8}{"picker p50":>12}{"p95":>8}   (ms)')
        for text in TEXTS:
            page = contacts.list_contacts(manager, text, None, 0, 25)
            page_p50, page_p95 = timed(lambda t=text: contacts.list_contacts(manager, t, None, 0, 25), args.runs)
            pick_p50, pick_p95 = timed(lambda t=text: contacts.choices(manager, t), args.runs)
            print(f'{text!r:<12}{page_p50:>10.1f}{page_p95:>8.1f}{page.total:>8,}{pick_p50:>12.1f}{pick_p95:>8.1f}')
        for text in ('anna', 'info1'):
            print(f'plan for {text!r}: {plan(text)}')


if __name__ == '__main__':
    main()
