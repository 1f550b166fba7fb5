"""The one Huey instance, chosen by the settings: Redis in server mode, a SQLite file in the embedded default."""

from __future__ import annotations

from huey import Huey, RedisHuey, SqliteHuey
from huey.consumer import Consumer

from config import Settings, get_settings


def make_huey(settings: Settings) -> Huey:
    """`store_intermediate_errors=False`: a task that fails, retries and then succeeds reads as a success."""
    if settings.redis_url:
        return RedisHuey(settings.queue_name, url=settings.redis_url, store_intermediate_errors=False)
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(
        settings.queue_name,
        filename=str(settings.var_dir / 'huey.db'),
        journal_mode='wal',
        timeout=30,
        store_intermediate_errors=False,
    )


huey = make_huey(get_settings())


class EmbeddedConsumer(Consumer):
    """A consumer that runs in threads inside the web process and leaves the web server's signal handlers alone."""

    def _set_signal_handlers(self) -> None:
        pass


def start_embedded_consumer(workers: int) -> EmbeddedConsumer:
    """Start worker threads and the one scheduler; polls at least ten times a second when idle, so a job
    starts soon after it is queued (bench/jobs.py: p50 83 ms with a 0.5 s back-off, 16 ms with 0.1 s)."""
    consumer = EmbeddedConsumer(
        huey, workers=workers, worker_type='thread', periodic=True, initial_delay=0.05, max_delay=0.1
    )
    consumer.start()
    return consumer


def run_worker(workers: int, *, periodic: bool) -> None:
    """A separate worker process for server mode; only one of them should run the scheduler (`periodic`)."""
    consumer = huey.create_consumer(workers=workers, worker_type='thread', periodic=periodic, max_delay=1.0)
    consumer.run()
