"""Schema migrations from code: upgrade to head, and tell whether a database is current."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).resolve().parent / 'migrations'


def alembic_config(url: str | None = None) -> Config:
    """The Alembic configuration; without a URL the process-wide engine (from the settings) is used."""
    config = Config()
    config.set_main_option('script_location', str(MIGRATIONS))
    if url:
        config.set_main_option('sqlalchemy.url', url.replace('%', '%%'))
    return config


def upgrade(url: str | None = None, revision: str = 'head') -> None:
    command.upgrade(alembic_config(url), revision)


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head() or ''


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def downgrade(url: str | None = None, revision: str = 'base') -> None:
    command.downgrade(alembic_config(url), revision)
