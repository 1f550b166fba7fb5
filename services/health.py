"""Start-up checks: reach the database and Redis, and confirm the schema is current, in one sentence each."""

from __future__ import annotations

import redis
import sqlalchemy as sa

from config import Settings
from db.engine import get_engine
from db.migrate import current_revision, head_revision
from services.errors import StartupError


def check_database() -> None:
    """Refuse to start when the database is unreachable or its schema is not at the latest migration."""
    engine = get_engine()
    where = engine.url.render_as_string(hide_password=True)
    try:
        revision = current_revision(engine)
    except sa.exc.OperationalError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else 'no answer'
        raise StartupError(f'Cannot reach the database at {where}: {reason}.') from None
    if revision != head_revision():
        raise StartupError(f'The database at {where} is not migrated; run `python main.py migrate` first.')


def check_redis(settings: Settings) -> None:
    if not settings.redis_url:
        return
    client = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=3, socket_timeout=3)
    try:
        client.ping()
    except redis.RedisError as error:
        raise StartupError(f'Cannot reach Redis at {settings.redis_url}: {error}.') from None
    finally:
        client.close()


def database_ok() -> bool:
    """For the health endpoint: can we run a query right now?"""
    try:
        with get_engine().connect() as connection:
            connection.exec_driver_sql('SELECT 1')
        return True
    except sa.exc.SQLAlchemyError:
        return False
