"""Time of one inventory page (50 rows with its total) for every sort and every filter, at 100,000 watches.

    .venv/bin/python bench/inventory_list.py [--watches 100000] [--runs 20] [--postgres postgresql://...]

Seeds the demo data on a temporary SQLite file (or, with --postgres, a scratch database created on that server
and dropped afterwards), refreshes the planner statistics as the maintenance task does, and calls
`services.inventory.list_watches` the way the inventory screen does. Then it adds the indexes suggested for
the sorts the schema does not serve yet and measures again. Prints p50/p95/max per case; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from the checkout

SCRATCH_DATABASE = 'svcrm_bench_inventory'
# (name, columns): partial indexes over live watches (the list always filters on deleted_at IS NULL), each ending
# in the id so that PostgreSQL serves ORDER BY column, id from the index alone (SQLite's carry the rowid anyway)
SUGGESTED = (
    ('ix_watches_live_model_id', 'model, id'),
    ('ix_watches_live_year_id', 'year, id'),
    ('ix_watches_live_asking_price_id', 'asking_price, id'),
    ('ix_watches_live_purchase_cost_base_id', 'purchase_cost_base, id'),
    ('ix_watches_live_image_count_id', 'image_count, id'),
    ('ix_watches_live_condition_grade_id', 'condition_grade, id'),
)

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
        ('page 200 (offset 9,950)', lambda: inventory.list_watches(manager, offset=9_950)),
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


def add_suggested_indexes(url: str) -> None:
    from db.engine import get_engine

    with get_engine().begin() as connection:
        for name, column in SUGGESTED:
            connection.exec_driver_sql(f'CREATE INDEX {name} ON watches ({column}) WHERE deleted_at IS NULL')
    analyse(url)


def run(url: str, watches: int, runs: int) -> dict[str, dict[str, list[float]]]:
    from db.migrate import upgrade
    from services import demo

    upgrade(url)
    started = time.perf_counter()
    demo.seed(watches=watches, seed=42)
    print(f'seeded {watches:,} watches in {time.perf_counter() - started:.0f} s', flush=True)
    analyse(url)
    names, values = lookups()
    found = cases(names, values)
    results = {'schema as is': measure(found, runs)}
    add_suggested_indexes(url)
    results['with the suggested indexes'] = measure(found, runs)
    return results


def report(title: str, results: dict[str, dict[str, list[float]]]) -> None:
    phases = list(results)
    print(f'\n{title}: one page of 50 with its total, ms')
    print(f'{"case":<34}' + ''.join(f'{phase:>30}' for phase in phases))
    print(f'{"":<34}' + ''.join(f'{"p50":>10}{"p95":>10}{"max":>10}' for _ in phases))
    for label in results[phases[0]]:
        cells = ''
        for phase in phases:
            ms = results[phase][label]
            p95 = ms[max(0, round(len(ms) * 0.95) - 1)]
            cells += f'{statistics.median(ms):10.1f}{p95:10.1f}{ms[-1]:10.1f}'
        print(f'{label:<34}{cells}')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--watches', type=int, default=100_000)
    parser.add_argument('--runs', type=int, default=20)
    parser.add_argument('--postgres', metavar='URL', help='a PostgreSQL server to create a scratch database on')
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix='svcrm-bench-') as scratch:
        os.environ.update(SV_VAR_DIR=scratch, SV_REDIS_URL='')
        os.environ.pop('SV_MEDIA_DIR', None)
        if args.postgres:
            with scratch_postgres(args.postgres) as url:
                report('PostgreSQL', run(url, args.watches, args.runs))
        else:
            url = f'sqlite:///{scratch}/bench.db'
            os.environ['SV_DATABASE_URL'] = url
            report('SQLite', run(url, args.watches, args.runs))


@contextmanager
def scratch_postgres(server_url: str) -> Iterator[str]:
    """Create the scratch database on the server, point the settings at it, and drop it afterwards."""
    import sqlalchemy as sa

    base = sa.make_url('postgresql+psycopg://' + server_url.split('://', 1)[1])
    admin = sa.create_engine(base.set(database='postgres'), isolation_level='AUTOCOMMIT')
    drop = f'DROP DATABASE IF EXISTS "{SCRATCH_DATABASE}" WITH (FORCE)'
    with admin.connect() as connection:
        connection.exec_driver_sql(drop)
        connection.exec_driver_sql(f'CREATE DATABASE "{SCRATCH_DATABASE}"')
    url = base.set(database=SCRATCH_DATABASE).render_as_string(hide_password=False)
    os.environ['SV_DATABASE_URL'] = url
    try:
        yield url
    finally:
        from db.engine import use_engine

        use_engine(None)
        with admin.connect() as connection:
            connection.exec_driver_sql(drop)
        admin.dispose()


if __name__ == '__main__':
    main()
