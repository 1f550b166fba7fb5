"""Time of the API's inventory list (50 watches with a filter) at 100,000 watches, and of checking a token.

    .venv/bin/python bench/api.py [--watches 100000] [--runs 50] [--postgres postgresql://...]

Seeds the demo data on a temporary SQLite file (or a scratch PostgreSQL database, dropped afterwards), makes a
manager's token and sends requests through the API application in-process over ASGI (no socket: the figures are
the server's own time, token check, query and JSON included). The token check is also timed on its own, as the
per-request overhead of authentication. Prints p50/p95/max in ms against the targets (list 50 ms, token 2 ms);
asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from collections.abc import Awaitable, Callable

from inventory_list import SCRATCH_DATABASE, analyse
from scratch import scratch_postgres, scratch_sqlite

TARGETS = {'list': 50.0, 'token': 2.0}
CASES = {
    'list: brand Rolex': {'brands': 'Rolex'},
    'list: brand Rolex, -asking_price': {'brands': 'Rolex', 'sort': '-asking_price'},
    'list: has photos, page 20': {'has_photos': 'true', 'page': 20},
    'list: q "rolex"': {'q': 'rolex'},
}


async def timed(call: Callable[[], Awaitable[object]], runs: int) -> list[float]:
    await call()  # warm the plan cache and the pages it reads
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - started) * 1000)
    return sorted(samples)


async def measure(runs: int) -> dict[str, list[float]]:
    import httpx
    from fastapi import FastAPI
    from sqlmodel import select

    import api
    from db.accounts import User
    from db.engine import session_scope
    from services import accounts, tokens

    with session_scope() as session:
        manager_id = session.exec(select(User.id).where(User.email.like('manager@%'))).first()
    manager = accounts.load_actor(manager_id)
    assert manager is not None
    _, plaintext = tokens.create(manager, 'bench', 'read', None)
    app = FastAPI()
    api.register(app)
    headers = {'Authorization': f'Bearer {plaintext}'}
    timings: dict[str, list[float]] = {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url='http://bench/api/v1') as client:
        for label, params in CASES.items():

            async def get(params: dict = params) -> None:
                response = await client.get('/watches', params={**params, 'per_page': 50}, headers=headers)
                response.raise_for_status()

            timings[label] = await timed(get, runs)

    async def check() -> None:
        tokens.authenticate(plaintext)

    timings['token: authenticate'] = await timed(check, runs * 4)
    return timings


def report(title: str, timings: dict[str, list[float]]) -> None:
    load = ', '.join(f'{figure:.1f}' for figure in os.getloadavg())
    print(f'\n{title}: ms per request (load average {load})')
    print(f'{"case":<38}{"p50":>9}{"p95":>9}{"max":>9}')
    for label, ms in timings.items():
        p95 = ms[max(0, round(len(ms) * 0.95) - 1)]
        target = TARGETS[label.split(':')[0]]
        over = f'  over {target:g} ms' if p95 >= target else ''
        print(f'{label:<38}{statistics.median(ms):9.2f}{p95:9.2f}{ms[-1]:9.2f}{over}')


def run(url: str, watches: int, runs: int) -> dict[str, list[float]]:
    from services import demo

    started = time.perf_counter()
    demo.seed(watches=watches, seed=42)
    print(f'seeded {watches:,} watches in {time.perf_counter() - started:.0f} s', flush=True)
    analyse(url)
    return asyncio.run(measure(runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--watches', type=int, default=100_000)
    parser.add_argument('--runs', type=int, default=50)
    parser.add_argument('--postgres', metavar='URL', help='a PostgreSQL server to create a scratch database on')
    args = parser.parse_args()
    os.environ['SV_API_REQUESTS_PER_MINUTE'] = '1000000'  # the rate limit would otherwise be what is measured
    with scratch_sqlite() as scratch:
        if args.postgres:
            with scratch_postgres(args.postgres, f'{SCRATCH_DATABASE}_api') as url:
                report('PostgreSQL', run(url, args.watches, args.runs))
        else:
            report('SQLite', run(f'sqlite:///{scratch}/bench.db', args.watches, args.runs))


if __name__ == '__main__':
    main()
