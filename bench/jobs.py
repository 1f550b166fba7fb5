"""Jobs: how long a started job waits for a worker, and what live progress costs a long job.

    .venv/bin/python bench/jobs.py [--samples 40] [--items 10000] [--runs 3]

On a scratch SQLite installation:

- Enqueue-to-start latency, p50/p95/max: from `jobs.start` returning (the row committed, the task enqueued
  by the `job.queued` event) to the runner claiming the job (its `started_at`), one job at a time with the
  consumer idle in between, as when a person clicks. Embedded mode (SqliteHuey, the in-process consumer) at
  several polling back-offs (`max_delay`); and, when Redis answers at SV_BENCH_REDIS_URL (default
  redis://127.0.0.1:6379/14), with a separate `python main.py worker` process (RedisHuey blocks on the queue).
- Throughput of a job of `--items` items, each a small database read, run by the real runner with progress on
  (bus messages every 0.2 s, database checkpoints every second) and off (neither), alternating, the median
  of `--runs` each; and, since a busy machine blurs timings by more than 5 %, the count of Python function
  calls each makes, which nothing else on the machine changes; with the overhead of progress in percent.
  Figures only, nothing fails.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime

from scratch import ROOT, scratch_sqlite

DEFAULT_REDIS = 'redis://127.0.0.1:6379/14'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--samples', type=int, default=40)
    parser.add_argument('--items', type=int, default=10_000)
    parser.add_argument('--runs', type=int, default=5)
    parser.add_argument('--redis-part', action='store_true', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.redis_part:
        return redis_part(args.samples)
    redis_url = os.environ.get('SV_BENCH_REDIS_URL', DEFAULT_REDIS)
    with scratch_sqlite():
        admin = make_admin()
        for max_delay in (0.5, 0.1):
            latencies = embedded_latencies(admin, args.samples, max_delay)
            report(f'Enqueue-to-start, embedded (SqliteHuey, max_delay {max_delay} s)', latencies)
        throughput(admin, args.items, args.runs)
    if answers(redis_url):
        subprocess.run(
            [sys.executable, __file__, '--redis-part', '--samples', str(args.samples)],
            env={**os.environ, 'SV_BENCH_REDIS_URL': redis_url},
            check=True,
        )
    else:
        print(f'Redis does not answer at {redis_url}: the server-mode latency was not measured.')


def make_admin():
    from services import accounts

    user, _ = accounts.create_admin('bench@example.com', 'a quiet shop of old watches')
    return accounts.load_actor(user.id)


def embedded_latencies(admin, samples: int, max_delay: float) -> list[float]:
    from config import get_settings
    from tasks import huey_app
    from tasks import jobs as job_tasks

    disconnect = job_tasks.connect(get_settings())
    consumer = huey_app.EmbeddedConsumer(
        huey_app.huey, workers=2, worker_type='thread', periodic=False, initial_delay=0.05, max_delay=max_delay
    )
    consumer.start()
    try:
        return sample_latencies(admin, samples)
    finally:
        consumer.stop(graceful=True)
        disconnect()


def sample_latencies(admin, samples: int) -> list[float]:
    """Start a tiny job (a reindex of an empty catalogue), wait until it ends and the consumer idles again."""
    from services import jobs

    latencies = []
    for _ in range(samples + 2):
        time.sleep(0.6)  # the consumer backs off to its longest poll, as between two clicks
        job = jobs.start(admin, 'reindex', {})
        returned = datetime.now(UTC)
        while not (view := jobs.get(admin, job.id)).finished:
            time.sleep(0.005)
        latencies.append((view.started_at - returned).total_seconds() * 1000)
    return latencies[2:]  # the first jobs warm up imports and connections


def throughput(admin, items: int, runs: int) -> None:
    from sqlmodel import select

    from db.engine import session_scope
    from db.workflow import Stage
    from services import job_views, jobs
    from services.job_kinds import JobKind, Plan
    from services.permissions import Permission

    with session_scope() as session:
        stage_ids = list(session.exec(select(Stage.id)).all())

    class ReadKind(JobKind):
        """Each item reads one stage's key in its own unit of work: small real work per item."""

        name, label, permission = 'bench_read', 'Benchmark', Permission.INVENTORY_VIEW

        def plan(self, session, actor, params, directory):
            return Plan(params={}, keys=[str(stage_ids[n % len(stage_ids)]) for n in range(items)], title='Bench')

        def item(self, ctx, key):
            with session_scope() as session:
                session.exec(select(Stage.key).where(Stage.id == int(key))).one()

    job_views.register(ReadKind())
    wall: dict[bool, list[float]] = {True: [], False: []}
    cpu: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(runs):
        for progress in (False, True):
            job = jobs.start(admin, 'bench_read', {})
            started, started_cpu = time.perf_counter(), time.process_time()
            jobs.run(job.id, progress=progress)
            wall[progress].append(time.perf_counter() - started)
            cpu[progress].append(time.process_time() - started_cpu)
    print(f'Throughput of a {items:,}-item job (median of {runs} alternating runs each):')
    for progress in (False, True):
        seconds, cpu_seconds = statistics.median(wall[progress]), statistics.median(cpu[progress])
        print(f'  progress {"on: " if progress else "off:"} {items / seconds:8,.0f} items/s  '
              f'({seconds:.2f} s, {cpu_seconds:.2f} s of CPU)')  # fmt: skip
    for name, timing in (('wall time', wall), ('CPU time', cpu)):
        off, on = statistics.median(timing[False]), statistics.median(timing[True])
        print(f'  overhead of progress by {name}: {(on - off) / off * 100:+.1f} %')
    off, on = (function_calls(lambda progress=progress: run_once(admin, progress)) for progress in (False, True))
    print(f'  overhead of progress by Python function calls (no other process disturbs this count): '
          f'{(on - off) / off * 100:+.2f} % ({off:,} against {on:,})')  # fmt: skip


def run_once(admin, progress: bool) -> None:
    from services import jobs

    jobs.run(jobs.start(admin, 'bench_read', {}).id, progress=progress)


def function_calls(work) -> int:
    """How many Python function calls `work` makes: a measure of work that a busy machine does not blur."""
    profile = cProfile.Profile()
    profile.runcall(work)
    return pstats.Stats(profile).total_calls


def redis_part(samples: int) -> None:
    """Server mode: this process starts the jobs; a separate worker process runs them from Redis."""
    url = os.environ['SV_BENCH_REDIS_URL']
    with scratch_sqlite() as scratch:
        os.environ.update(SV_REDIS_URL=url, SV_QUEUE_NAME=f'svcrm-bench-{os.getpid()}')
        from config import get_settings

        get_settings.cache_clear()
        admin = make_admin()
        worker = subprocess.Popen(
            [sys.executable, str(ROOT / 'main.py'), 'worker', '--workers', '2', '--no-periodic'],
            env={**os.environ, 'SV_VAR_DIR': str(scratch)},
            stdout=subprocess.DEVNULL,
        )
        from tasks import jobs as job_tasks

        disconnect = job_tasks.connect(get_settings())
        try:
            time.sleep(2)  # the worker is up and blocking on the queue
            report(
                'Enqueue-to-start, server mode (RedisHuey, separate worker process)', sample_latencies(admin, samples)
            )
        finally:
            disconnect()
            worker.terminate()
            worker.wait(20)


def answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def report(title: str, milliseconds: list[float]) -> None:
    ordered = sorted(milliseconds)
    p95 = ordered[max(0, round(len(ordered) * 0.95) - 1)]
    print(
        f'{title}: p50 {statistics.median(ordered):.1f} ms, p95 {p95:.1f} ms, max {ordered[-1]:.1f} ms '
        f'({len(ordered)} jobs)'
    )


if __name__ == '__main__':
    main()
