"""How fast the demo data loads: seed a fresh, migrated SQLite database in a temporary directory and print figures.

Run it from the checkout:

    .venv/bin/python bench/seed.py [--watches N] [--seed S]

It prints the total seconds, watches per second, the size of the database (checkpointed) and of the photos; the
temporary directory, photos included, is removed afterwards. Figures only: nothing here passes or fails.
"""

from __future__ import annotations

import argparse
import time

from scratch import scratch_sqlite


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--watches', type=int, default=80_000)
    parser.add_argument('--seed', type=int, default=42)
    args = parser.parse_args()
    with scratch_sqlite() as scratch:
        database = scratch / 'bench.db'
        from db.engine import get_engine
        from services import demo

        started = time.perf_counter()
        summary = demo.seed(watches=args.watches, seed=args.seed)
        seconds = time.perf_counter() - started
        with get_engine().connect() as connection:
            connection.exec_driver_sql('PRAGMA wal_checkpoint(TRUNCATE)')
        media = sum(path.stat().st_size for path in (scratch / 'media').rglob('*') if path.is_file())
        print(summary)
        print(f'seed: {args.watches:,} watches in {seconds:.1f} s ({args.watches / seconds:,.0f} watches/s)')
        print(f'database: {database.stat().st_size / 1e6:,.1f} MB; photos: {media / 1e6:,.1f} MB')


if __name__ == '__main__':
    main()
