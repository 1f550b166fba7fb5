"""The event bus: in-process from worker threads to an event loop, and through Redis from a real separate worker
process to a listener here, surviving the loss of its connection."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator

import pytest
import redis

from config import get_settings
from db.enums import Role
from services import bus, jobs
from tasks import jobs as job_tasks
from tests.background import worker_process
from tests.factories import make_user, make_watch

REDIS_URL = os.environ.get('SV_TEST_REDIS_URL', '')
needs_redis = pytest.mark.skipif(not REDIS_URL, reason='server mode not configured: SV_TEST_REDIS_URL unset')

Received = list[tuple[str, dict]]


async def _listen_until(board, received: Received, done, action, seconds: float = 30) -> None:
    """Listen on this loop, run `action` (in a thread: it may block), and stop once `done(received)`."""
    arrived = asyncio.Event()

    def deliver(topic: str, message: dict) -> None:
        received.append((topic, message))
        if done(received):
            arrived.set()

    listener = asyncio.create_task(board.listen(deliver))
    await asyncio.sleep(0.3)  # subscribed (Redis answers the SUBSCRIBE within milliseconds)
    try:
        await asyncio.to_thread(action)
        await asyncio.wait_for(arrived.wait(), seconds)
    finally:
        listener.cancel()
        await asyncio.gather(listener, return_exceptions=True)


def test_local_bus_delivers_from_a_worker_thread_to_a_loop():
    board = bus.LocalBus()
    received: Received = []

    def publish_from_a_thread() -> None:
        def work() -> None:
            for number in range(5):
                board.publish('job', {'id': 7, 'done': number}, snapshot='job:7')

        thread = threading.Thread(target=work)
        thread.start()
        thread.join()

    asyncio.run(_listen_until(board, received, lambda got: len(got) == 5, publish_from_a_thread))
    assert received == [('job', {'id': 7, 'done': number}) for number in range(5)]
    assert board.snapshot('job:7') == {'id': 7, 'done': 4}
    board.forget('job:7')
    assert board.snapshot('job:7') is None


@pytest.fixture
def redis_bus(database_url) -> Iterator[bus.RedisBus]:
    bus.get_bus.cache_clear()
    board = bus.get_bus()
    assert isinstance(board, bus.RedisBus)
    yield board
    bus.get_bus.cache_clear()


@needs_redis
def test_a_job_in_a_separate_worker_process_reaches_a_listener_here(redis_bus, database_url):
    manager = make_user(Role.MANAGER)
    ids = [make_watch(brand='Rolex') for _ in range(3)]
    disconnect = job_tasks.connect(get_settings())
    received: Received = []
    started: list[int] = []

    def ended(got: Received) -> bool:
        return any(topic == jobs.TOPIC and message['status'] == 'succeeded' for topic, message in got)

    try:
        with worker_process(database_url) as output:
            action = lambda: started.append(jobs.start(manager, 'labels', {'layout': 'zpl', 'ids': ids}).id)  # noqa: E731
            asyncio.run(_listen_until(redis_bus, received, ended, action, seconds=60))
    finally:
        disconnect()
    assert 'Worker on queue' in output[0]
    statuses = [message['status'] for topic, message in received if topic == jobs.TOPIC and message['id'] in started]
    assert statuses[0] == 'queued' and 'running' in statuses and statuses[-1] == 'succeeded'
    final = next(message for topic, message in received if topic == jobs.TOPIC and message['status'] == 'succeeded')
    assert (final['done'], final['download_name']) == (3, 'labels.zpl')
    assert redis_bus.snapshot(f'job:{started[0]}') is None  # a finished job is read from the database
    assert any(topic == 'notification' for topic, _ in received)  # the worker told the starter's bell


@needs_redis
def test_the_redis_listener_survives_losing_its_connection(redis_bus):
    received: Received = []
    admin = redis.Redis.from_url(REDIS_URL)
    db = admin.connection_pool.connection_kwargs.get('db', 0)

    def cut_then_publish() -> None:
        # CLIENT KILL TYPE pubsub, limited to this suite's database so other listeners on the server are spared
        for client in admin.client_list(_type='pubsub'):
            if int(client['db']) == db:
                admin.client_kill_filter(_id=client['id'])
        for _ in range(100):  # until the listener is back (it retries every second)
            if any(topic == bus.RECONNECTED for topic, _ in received):
                break
            threading.Event().wait(0.1)
        redis_bus.publish('job', {'id': 1, 'after': 'reconnect'})

    def after_reconnect(got: Received) -> bool:
        return ('job', {'id': 1, 'after': 'reconnect'}) in got

    asyncio.run(_listen_until(redis_bus, received, after_reconnect, cut_then_publish))
    topics = [topic for topic, _ in received]
    assert topics.index(bus.RECONNECTED) < topics.index('job')
    admin.close()
