"""Search latency per kind of query and per backend, on the demo data (100,000 watches by default).

    .venv/bin/python bench/search.py [--watches 100000] [--runs 3] [--postgres postgresql://HOST/ANY]

Seeds the demo data (services/demo.py) on a temporary SQLite file; with --postgres also on a scratch database
created on that server and dropped afterwards; with SV_MEILI_URL (and SV_MEILI_KEY) set, also into a scratch
Meilisearch index loaded from the SQLite data and deleted afterwards. Then it runs one fixed mix of searches
as a manager through each backend's `search` (a page of 50 ids with the capped total, as the list asks): one
word, two words, a typo, a reference prefix, a word being typed letter by letter, words with filters and a
sort, and words with facet counts. Prints p50, p95 and max per kind of query; figures only, nothing fails.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from decimal import Decimal
from typing import Any

from scratch import scratch_postgres, scratch_sqlite

SCRATCH_DATABASE = 'svcrm_bench_search'
ONE_WORD = ('rolex', 'omega', 'submariner', 'speedmaster', 'datejust', 'seamaster', 'chronograph', 'explorer',
            'navitimer', 'carrera', 'gmt', 'gold')  # fmt: skip
TWO_WORDS = ('rolex submariner', 'omega speedmaster', 'tudor black', 'heuer carrera', 'cartier tank',
             'seiko chronograph', 'rolex gold', 'omega constellation')  # fmt: skip
TYPOS = ('submarnier', 'speedmastr', 'datejsut', 'seamastre', 'navitmer', 'constelation', 'carrerra', 'daytonna')
TYPED = ('submariner', 'speedmaster', 'rolex daytona', 'omega seamaster')  # each typed letter by letter
REFERENCES = 8  # reference prefixes: the first four characters of this many catalogue references
Timings = dict[str, tuple[list[float], list[int]]]  # per kind of query: milliseconds, and matches per query


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--watches', type=int, default=100_000)
    parser.add_argument('--runs', type=int, default=3, help='passes over the mix after a warm-up pass')
    parser.add_argument('--postgres', metavar='URL', help='a PostgreSQL server to create a scratch database on')
    args = parser.parse_args()
    meili = os.environ.pop('SV_MEILI_URL', ''), os.environ.pop('SV_MEILI_KEY', '')
    os.environ['SV_MEILI_URL'] = ''  # the SQL runs use the SQL backends, whatever a .env file says
    with scratch_sqlite() as scratch:
        url = f'sqlite:///{scratch / "bench.db"}'
        seed(url, args.watches)
        report('SQLite', args.watches, measure_backend(backend_for_database(), args.runs))
        if meili[0]:
            report('Meilisearch', args.watches, measure_meili(*meili, args.runs))
        if args.postgres:
            with scratch_postgres(args.postgres, SCRATCH_DATABASE) as pg_url:
                seed(pg_url, args.watches)
                report('PostgreSQL', args.watches, measure_backend(backend_for_database(), args.runs))


def seed(url: str, watches: int) -> None:
    """Demo data, then fresh planner statistics as the nightly maintenance keeps them."""
    from db.engine import get_engine
    from services import demo

    started = time.perf_counter()
    demo.seed(watches=watches, seed=42)
    with get_engine().connect().execution_options(isolation_level='AUTOCOMMIT') as connection:
        connection.exec_driver_sql('ANALYZE' if url.startswith('sqlite') else 'VACUUM ANALYZE')
    print(f'{_engine_name(url)}: seeded {watches:,} watches in {time.perf_counter() - started:.0f} s', flush=True)


def backend_for_database() -> Any:
    from services import search

    return search.backend()


def measure_meili(url: str, key: str, runs: int) -> Timings:
    """Load a scratch index from the database (timed), measure it, and delete it."""
    from db.engine import session_scope
    from services.search.meili import MeiliBackend

    backend = MeiliBackend(url, key, index_uid=f'svcrm_bench_{os.getpid()}')
    try:
        started = time.perf_counter()
        with session_scope() as session:
            loaded = backend.rebuild(session)
        seconds = time.perf_counter() - started
        print(f'Meilisearch: loaded {loaded:,} watches in {seconds:.0f} s ({loaded / seconds:,.0f}/s)', flush=True)
        return measure_backend(backend, runs)
    finally:
        backend.drop()


def measure_backend(backend: Any, runs: int) -> Timings:
    """Milliseconds per search for each kind of query (a warm-up pass, then `runs` timed passes), and the
    (capped) number of matches of each query, so a fast answer can be told from an empty one."""
    from db.engine import session_scope

    actor, mix = manager(), queries()
    timings: Timings = {}
    for kind, requests in mix.items():
        samples, totals = timings.setdefault(kind, ([], []))
        for request in requests:
            with session_scope() as session:
                totals.append(backend.search(session, actor, request).total)
            for _ in range(runs):
                started = time.perf_counter()
                with session_scope() as session:
                    backend.search(session, actor, request)
                samples.append((time.perf_counter() - started) * 1000)
    return timings


def queries() -> dict[str, list[Any]]:
    """The fixed mix, with ids (stages, brands) looked up in the seeded data."""
    from services import reference, workflow
    from services.search.base import SearchRequest
    from services.watch_filter import WatchFilter

    listed = [stage.id for stage in workflow.stages() if stage.key in ('listed', 'ready_to_list')]
    filters = WatchFilter(brands=['Rolex', 'Omega', 'Tudor'], stage_ids=listed, price_min=Decimal('1000'),
                          price_max=Decimal('50000'))  # fmt: skip
    catalogue = reference.table().models
    step = max(1, len(catalogue) // REFERENCES)
    prefixes = sorted({model.reference_norm[:4] for model in catalogue[::step]})[:REFERENCES]
    typed = [text[:end] for text in TYPED for end in range(2, len(text) + 1) if text[end - 1] != ' ']

    def plain(texts: tuple[str, ...] | list[str]) -> list[Any]:
        return [SearchRequest(text=text) for text in texts]

    return {
        'one word': plain(ONE_WORD),
        'two words': plain(TWO_WORDS),
        'typo': plain(TYPOS),
        'reference prefix': plain(prefixes),
        'as you type': plain(typed),
        'filters + sort': [
            SearchRequest(text=text, filters=filters, sort=sort, descending=descending)
            for text in ONE_WORD[:6]
            for sort, descending in (('asking_price', False), ('created_at', True))
        ],
        'facets': [SearchRequest(text=text, facets=True) for text in ONE_WORD[:8]],
    }


def manager() -> Any:
    """The demo data's manager: sees every watch, and serials (so the serial lookup runs too)."""
    import sqlalchemy as sa

    from db.accounts import User
    from db.engine import session_scope
    from services import accounts

    with session_scope() as session:
        user_id = session.execute(sa.select(User.id).where(User.email.like('manager@%')).limit(1)).scalar_one()
    return accounts.load_actor(user_id)


def report(title: str, watches: int, timings: Timings) -> None:
    print(f'\n{title}, {watches:,} watches: one search (page of 50 ids and the capped total), ms')
    print(f'{"query":<20}{"samples":>9}{"matches":>9}{"p50":>9}{"p95":>9}{"max":>9}')
    for kind, (samples, totals) in timings.items():
        ordered = sorted(samples)
        p95 = ordered[max(0, round(len(ordered) * 0.95) - 1)]
        figures = f'{statistics.median(totals):>9,.0f}{statistics.median(ordered):>9.1f}{p95:>9.1f}{ordered[-1]:>9.1f}'
        print(f'{kind:<20}{len(ordered):>9}{figures}')
    print(flush=True)


def _engine_name(url: str) -> str:
    return 'SQLite' if url.startswith('sqlite') else 'PostgreSQL'


if __name__ == '__main__':
    main()
