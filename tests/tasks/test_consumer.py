"""Tasks really run: in threads of the web process (embedded default) and in a separate worker (server mode)."""

from __future__ import annotations

import os

import pytest

from config import get_settings
from tests.background import worker_process


def test_the_embedded_consumer_runs_a_task(db):
    from tasks import huey_app, maintenance

    consumer = huey_app.start_embedded_consumer(workers=1)
    try:
        result = maintenance.optimize_database()
        assert result.get(blocking=True, timeout=20) == 'ANALYZE'
    finally:
        consumer.stop(graceful=True)


@pytest.mark.skipif(
    not os.environ.get('SV_TEST_REDIS_URL'), reason='server mode not configured: SV_TEST_REDIS_URL unset'
)
def test_a_separate_worker_process_runs_a_task_through_redis(database_url):
    from tasks import maintenance

    assert get_settings().server_mode
    with worker_process(database_url) as output:
        result = maintenance.optimize_database()
        assert result.get(blocking=True, timeout=30) == 'ANALYZE'
    assert 'Worker on queue' in output[0]
