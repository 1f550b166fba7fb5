"""How fast a spreadsheet import runs: 10,000 generated rows into a fresh, migrated SQLite database.

Run it from the checkout:

    .venv/bin/python bench/import.py [--rows N]

It prints the seconds of the dry run and of the real import (target: under 30 s for 10,000 rows). The
temporary directory is removed afterwards. Figures only: nothing here passes or fails.
"""

from __future__ import annotations

import argparse
import random
import time

from scratch import scratch_sqlite


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--rows', type=int, default=10_000)
    args = parser.parse_args()
    with scratch_sqlite():
        from services.permissions import SYSTEM
        from services.spreadsheets import import_watches

        data = _csv(args.rows)
        for dry_run in (True, False):
            started = time.perf_counter()
            report = import_watches(SYSTEM, 'bench.csv', data, dry_run=dry_run)
            seconds = time.perf_counter() - started
            assert report.clean, report.errors[:5]
            what = 'dry run' if dry_run else 'import'
            print(f'{what}: {report.rows:,} rows in {seconds:.1f} s ({report.rows / seconds:,.0f} rows/s)')


def _csv(rows: int) -> bytes:
    """Rows drawn from the reference table, as a dealer's stock list would look."""
    from services import reference

    models = reference.table().models
    pick = random.Random(42)
    lines = ['Brand;Model;Reference;Serial;Year;Box;Papers;Purchase cost;Purchase currency']
    for number in range(rows):
        model = pick.choice(models)
        year = pick.randint(model.year_from, min(model.year_to, 2024))
        cost = pick.randint(int(model.price_low_eur), int(model.price_high_eur))
        box, papers = pick.choice(['yes', 'no']), pick.choice(['yes', 'no'])
        lines.append(f'{model.brand};{model.model};{model.reference};S{number:07d};{year};{box};{papers};{cost};EUR')
    return '\n'.join(lines).encode('utf-8-sig')


if __name__ == '__main__':
    main()
