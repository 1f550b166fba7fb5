"""Server time of the login page and the dashboard with 80,000 watches (target p95 under 100 ms).

    .venv/bin/python bench/pages.py [--watches 80000] [--requests 50]

Seeds a fresh SQLite database under a temporary directory, then renders each page in process through
NiceGUI's user simulation (the same ASGI app `serve` runs, without the network) and prints p50 and p95.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time

from scratch import ROOT, scratch_sqlite


async def measure(requests: int) -> dict[str, list[float]]:
    os.environ['PYTEST_CURRENT_TEST'] = 'bench'  # NiceGUI's user simulation only runs as under pytest
    from nicegui.testing.user_simulation import user_simulation

    from services import accounts, dashboard

    admin, _ = accounts.create_admin('bench@example.com', 'a quiet shop of old watches')
    actor = accounts.load_actor(admin.id)
    timings: dict[str, list[float]] = {'/login': [], '/ (dashboard)': [], 'dashboard figures (service)': []}
    for _ in range(requests):
        started = time.perf_counter()
        dashboard.figures(actor)
        timings['dashboard figures (service)'].append(time.perf_counter() - started)
    async with user_simulation(main_file=ROOT / 'tests' / 'web_main.py') as user:
        for _ in range(requests):
            started = time.perf_counter()
            await user.open('/login')
            timings['/login'].append(time.perf_counter() - started)
        user.find(marker='email').type('bench@example.com')
        user.find(marker='password').type('a quiet shop of old watches')
        user.find(marker='submit').click()
        await user.should_see(marker='user-menu', retries=100)
        for _ in range(requests):
            started = time.perf_counter()
            await user.open('/')
            await shown(user, 'tile-in-stock')
            timings['/ (dashboard)'].append(time.perf_counter() - started)
            forget_closed_pages()
    return timings


def forget_closed_pages() -> None:
    """Delete the clients of pages navigated away from, as the server does once their browser tab is gone.

    The simulation keeps every client alive; hundreds of dead pages would make each garbage collection
    (and so the measured tail) far slower than a server with its real, few connected pages.
    """
    from nicegui import Client

    for client in list(Client.instances.values())[:-1]:
        client.delete()


async def shown(user, marker: str) -> None:
    """Wait for the screen to be built, polling every millisecond (the sub page renders after the shell)."""
    for _ in range(10_000):
        try:
            user.find(marker=marker)
            return
        except AssertionError:
            await asyncio.sleep(0.001)
    raise TimeoutError(f'{marker} never appeared')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--watches', type=int, default=80_000)
    parser.add_argument('--requests', type=int, default=50)
    args = parser.parse_args()
    with scratch_sqlite():
        from services import demo

        started = time.perf_counter()
        demo.seed(watches=args.watches, seed=42)
        print(f'seeded {args.watches:,} watches in {time.perf_counter() - started:.1f} s')
        timings = asyncio.run(measure(args.requests))
    for page, samples in timings.items():
        ms = sorted(sample * 1000 for sample in samples)
        p95 = ms[max(0, round(len(ms) * 0.95) - 1)]
        print(f'{page:<28} p50 {statistics.median(ms):6.1f} ms   p95 {p95:6.1f} ms   max {ms[-1]:6.1f} ms')


if __name__ == '__main__':
    main()
