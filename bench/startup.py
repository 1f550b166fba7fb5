"""App start after install: from process start to the login page served (target under 5 s).

    .venv/bin/python bench/startup.py [--runs 5]

Runs `python main.py serve` against a fresh, migrated SQLite database several times and prints each time
and the median. The first start also creates the first admin (argon2 hash), as on a new machine.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


def time_one_start(var_dir: Path) -> float:
    port = free_port()
    env = {**os.environ, 'SV_VAR_DIR': str(var_dir), 'SV_DATABASE_URL': '', 'SV_REDIS_URL': ''}
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, str(ROOT / 'main.py'), 'serve', '--port', str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while time.perf_counter() - started < 60:
            try:
                if httpx.get(f'http://127.0.0.1:{port}/login', timeout=1).status_code == 200:
                    return time.perf_counter() - started
            except httpx.TransportError:
                pass
            time.sleep(0.02)
        raise RuntimeError('the app did not serve /login within 60 s')
    finally:
        process.terminate()
        process.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runs', type=int, default=5)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory(prefix='svcrm-bench-') as scratch:
        var_dir = Path(scratch)
        env = {**os.environ, 'SV_VAR_DIR': str(var_dir), 'SV_DATABASE_URL': ''}
        subprocess.run([sys.executable, str(ROOT / 'main.py'), 'migrate'], env=env, check=True, capture_output=True)
        times = [time_one_start(var_dir) for _ in range(runs)]
    for number, seconds in enumerate(times, 1):
        print(f'start {number}: {seconds:.2f} s' + (' (first start, creates the admin)' if number == 1 else ''))
    print(f'process start -> login page served: median {statistics.median(times):.2f} s, max {max(times):.2f} s')


if __name__ == '__main__':
    main()
