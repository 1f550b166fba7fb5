"""A throw-away embedded installation for a benchmark: its own var/ directory and a migrated SQLite file.

The benchmarks run as scripts from the checkout (`.venv/bin/python bench/NAME.py`), so this module also puts
the checkout on the import path before any project module is imported.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


@contextmanager
def scratch_sqlite() -> Iterator[Path]:
    """Point the settings at a fresh directory with a migrated `bench.db`; everything is removed afterwards."""
    with tempfile.TemporaryDirectory(prefix='svcrm-bench-') as scratch:
        os.environ.update(SV_VAR_DIR=scratch, SV_DATABASE_URL=f'sqlite:///{scratch}/bench.db', SV_REDIS_URL='')
        os.environ.pop('SV_MEDIA_DIR', None)
        from db.engine import get_engine
        from db.migrate import upgrade

        upgrade()
        try:
            yield Path(scratch)
        finally:
            get_engine().dispose()
