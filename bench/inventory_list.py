"""Time of one inventory page (50 rows with its total) for every sort and every filter, at 100,000 watches.

    .venv/bin/python bench/inventory_list.py [--watches 100000] [--runs 20] [--postgres postgresql://...]

Seeds the demo data on a temporary SQLite file (or, with --postgres, a scratch database created on that server
and dropped afterwards), refreshes the planner statistics as the maintenance task does, and calls
`services.inventory.list_watches` the way the inventory screen does. Prints p50/p95/max per case and marks a
p95 over the target (50 ms); asserts nothing. The machine's load average is printed with the figures, since
other work on the same cores shows up in the tail.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from datetime import timedelta

from scratch import scratch_postgres, scratch_sqlite

SCRATCH_DATABASE = 'svcrm_bench_inventory'
TARGET_MS = 50

Case = tuple[str, Callable[[], object]]


def cases(names: dict[str, int], values: dict[str, object]) -> list[Case]:
    """Every sort both ways and every filter, as the manager; and the agent's own list (row scope)."""
    from db.types import utcnow
    from services import accounts, inventory

    manager, agent = accounts.load_actor(names['manager']), accounts.load_actor(names['agent'])
    found: list[Case] = []
    for sort in inventory.SORTS:
        for descending in (False, True):
            label = f'sort {sort} {"desc" if descending else "asc"}'
            found.append((label, lambda s=sort, d=descending: inventory.list_watches(manager, sort=s, descending=d)))
    month_ago = (utcnow() - timedelta(days=30)).date()
    filters = {
        'brand Rolex': {'brands': ['Rolex']},
        'brands Omega+Tudor': {'brands': ['Omega', 'Tudor']},
        'model ~ "master"': {'model': 'master'},
        'model ~ "nautilus"': {'model': 'nautilus'},
        f'reference ^ {values["reference"]}': {'reference': values['reference']},
        'condition A': {'condition_grades': ['A']},
        'location (warehouse)': {'location_ids': [values['warehouse']]},
        'stage listed': {'stage_ids': [values['listed']]},
        'batch (one)': {'batch_id': values['batch']},
        'agent (one)': {'agent_id': names['agent']},
        'seller (one)': {'seller_id': values['seller']},
        'price 2,000-5,000': {'price_min': '2000', 'price_max': '5000'},
        'created last 30 days': {'created_from': month_ago},
        'has photos': {'has_photos': True},
        'no photos': {'has_photos': False},
        'text "rolex" (brand)': {'text': 'rolex'},
        f'text "{values["sku"]}" (SKU)': {'text': values['sku']},
        'text "5513" (reference)': {'text': '5513'},
        'brand Rolex + stage listed': {'brands': ['Rolex'], 'stage_ids': [values['listed']]},
    }
    for label, wanted in filters.items():
        found.append((f'filter {label}', lambda w=wanted: inventory.list_watches(manager, w)))
    found += [
        ('agent: own list', lambda: inventory.list_watches(agent)),
        ('agent: own, sort model', lambda: inventory.list_watches(agent, sort='model', descending=False)),
        ('agent: own, brand Omega', lambda: inventory.list_watches(agent, {'brands': ['Omega']})),
        ('agent: own, sort location', lambda: inventory.list_watches(agent, sort='location', descending=False)),
        ('agent: own, no photos', lambda: inventory.list_watches(agent, {'has_photos': False})),
        ('agent: own, price 2,000-5,000', lambda: inventory.list_watches(agent, filters['price 2,000-5,000'])),
        ('page 200 (offset 9,950)', lambda: inventory.list_watches(manager, offset=9_950)),
        ('page 200, sort location', lambda: inventory.list_watches(manager, offset=9_950, sort='location')),
        ('ids_for all (select all)', lambda: inventory.ids_for(manager)),
    ]
    return found


def lookups() -> tuple[dict[str, int], dict[str, object]]:
    """Ids and values to filter by, taken from the seeded data."""
    import sqlalchemy as sa

    from db.accounts import User
    from db.engine import session_scope
    from db.inventory import Watch
    from db.places import Batch, Location
    from db.workflow import Stage

    with session_scope() as session:

        def one(query: sa.Select) -> object:
            return session.execute(query.limit(1)).scalar_one()

        names = {
            'manager': one(sa.select(User.id).where(User.email.like('manager@%'))),
            'agent': one(sa.select(User.id).where(User.email.like('agent1@%'))),
        }
        values = {
            'warehouse': one(sa.select(Location.id).where(Location.kind == 'warehouse')),
            'listed': one(sa.select(Stage.id).where(Stage.key == 'listed')),
            'batch': one(sa.select(Batch.id).order_by(Batch.id.desc())),
            'seller': one(sa.select(User.id).where(User.email.like('seller1@%'))),
            'reference': one(sa.select(Watch.reference).where(Watch.brand == 'Rolex'))[:4],
            'sku': one(sa.select(Watch.sku).order_by(Watch.id.desc()))[:7],
        }
    return names, values


def measure(found: list[Case], runs: int) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {}
    for label, call in found:
        call()  # warm the plan cache and the pages this case reads
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            call()
            samples.append((time.perf_counter() - started) * 1000)
        timings[label] = sorted(samples)
    return timings


def analyse(url: str) -> None:
    """Planner statistics, as `main.py optimize` keeps them; without them SQLite reads whole tables through a
    partial index in index order, which is several times slower than reading the table."""
    from db.engine import get_engine

    with get_engine().connect().execution_options(isolation_level='AUTOCOMMIT') as connection:
        connection.exec_driver_sql('ANALYZE' if url.startswith('sqlite') else 'VACUUM ANALYZE')


def run(url: str, watches: int, runs: int) -> dict[str, list[float]]:
    from services import demo

    started = time.perf_counter()
    demo.seed(watches=watches, seed=42)
    print(f'seeded {watches:,} watches in {time.perf_counter() - started:.0f} s', flush=True)
    analyse(url)
    names, values = lookups()
    found = cases(names, values)
    return measure(found, runs)


def report(title: str, timings: dict[str, list[float]]) -> None:
    load = ', '.join(f'{figure:.1f}' for figure in os.getloadavg())
    print(f'\n{title}: one page of 50 with its total, ms (load average {load})')
    print(f'{"case":<34}{"p50":>10}{"p95":>10}{"max":>10}')
    for label, ms in timings.items():
        p95 = ms[max(0, round(len(ms) * 0.95) - 1)]
        over = f'  over {TARGET_MS} ms' if p95 >= TARGET_MS else ''
        print(f'{label:<34}{statistics.median(ms):10.1f}{p95:10.1f}{ms[-1]:10.1f}{over}')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--watches', type=int, default=100_000)
    parser.add_argument('--runs', type=int, default=20)
    parser.add_argument('--postgres', metavar='URL', help='a PostgreSQL server to create a scratch database on')
    args = parser.parse_args()
    with scratch_sqlite() as scratch:
        if args.postgres:
            with scratch_postgres(args.postgres, SCRATCH_DATABASE) as url:
                report('PostgreSQL', run(url, args.watches, args.runs))
        else:
            report('SQLite', run(f'sqlite:///{scratch}/bench.db', args.watches, args.runs))


if __name__ == '__main__':
    main()
