"""SecondVintage CRM: the command line and the assembly of the web app.

python main.py serve        start the web app (and, in the embedded default, its task workers)
python main.py --help       every verb
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence

from config import ROOT, ConfigError, Settings, get_settings
from services.errors import ServiceError, StartupError

log = logging.getLogger('svcrm')


def cmd_serve(args: argparse.Namespace, settings: Settings) -> None:
    """Check the database and Redis, create the first admin if there is none, then serve the app."""
    from services import accounts, health

    health.check_database()
    health.check_redis(settings)
    if first := accounts.ensure_first_admin():
        email, password = first
        print(
            f'\n  First start: created the administrator {email}\n'
            f'  with the one-time password: {password}\n'
            f'  Log in at http://localhost:{args.port or settings.port}/login and choose your own password.\n',
            flush=True,
        )
    start_web(settings, host=args.host, port=args.port)


def cmd_worker(args: argparse.Namespace, settings: Settings) -> None:
    """A Huey worker process for server mode (Redis); in the embedded default the web process runs the tasks."""
    from services import health

    if not settings.server_mode:
        raise StartupError('A separate worker needs SV_REDIS_URL; without it `serve` runs the tasks itself.')
    health.check_database()
    health.check_redis(settings)
    import tasks

    tasks.search.connect(settings)
    tasks.jobs.connect(settings)
    _broadcast_events()
    print(f'Worker on queue "{settings.queue_name}" with {args.workers} threads', flush=True)
    tasks.huey_app.run_worker(args.workers, periodic=not args.no_periodic)


def cmd_migrate(_args: argparse.Namespace, settings: Settings) -> None:
    """Bring the database schema to the latest migration."""
    import sqlalchemy as sa

    from db.migrate import upgrade

    try:
        upgrade()
    except sa.exc.OperationalError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else 'no answer'
        raise StartupError(f'Cannot reach the database to migrate it: {reason}.') from None
    print(f'Database is at the latest schema ({_where(settings)}).')


def cmd_seed(args: argparse.Namespace, settings: Settings) -> None:
    """Load realistic demo data (watches, users of every role, batches, purchases, photos)."""
    from services import demo, health

    health.check_database()
    summary = demo.seed(watches=args.watches, seed=args.seed, progress=_progress_printer())
    print(summary)
    if settings.meili_url:  # the SQL search indexes follow the rows by trigger; a separate server needs loading
        _reindex()


def cmd_reindex(_args: argparse.Namespace, _settings: Settings) -> None:
    """Rebuild the search index from the database (after restoring a backup, or on moving to Meilisearch)."""
    from services import health

    health.check_database()
    _reindex()


def _reindex() -> None:
    """The reindex job's own work, with its progress printed."""
    from services import job_reindex, search

    report = _progress_printer()
    started = time.perf_counter()
    print(f'Rebuilding the {search.backend().name} search index', flush=True)
    _name, count = job_reindex.rebuild(lambda done, total: report('indexed', done, total))
    print(f'Indexed {count:,} watches in {time.perf_counter() - started:.1f} s.', flush=True)


def cmd_createadmin(args: argparse.Namespace, _settings: Settings) -> None:
    from services import accounts, health

    health.check_database()
    user, password = accounts.create_admin(args.email, args.password)
    _print_created(user.email, 'admin', password)


def cmd_createuser(args: argparse.Namespace, _settings: Settings) -> None:
    from services import accounts, health
    from services.permissions import SYSTEM

    health.check_database()
    data = accounts.parse_user(
        email=args.email, name=args.name or args.email.split('@')[0].title(), role=args.role, password=args.password
    )
    user, password = accounts.create_user(SYSTEM, data)
    _print_created(user.email, user.role.value, password)


def cmd_create_token(args: argparse.Namespace, _settings: Settings) -> None:
    """A personal access token for a user's scripts, printed once (only its hash is kept)."""
    from services import health, tokens

    health.check_database()
    token, plaintext = tokens.create_for_email(args.email, args.scope, args.name, args.days)
    expiry = f'expires {token.expires_at:%Y-%m-%d}' if token.expires_at else 'does not expire'
    print(f'Created the {token.scope.value} token "{token.name}" ({token.prefix}...) for {args.email}; it {expiry}.')
    print(f'Token (shown only now): {plaintext}')


def cmd_verify_ledger(_args: argparse.Namespace, _settings: Settings) -> int:
    """Walk the ledger's hash chain; exit 1 at the first row changed or removed behind the application's back."""
    from services import health, ledger_verify

    health.check_database()
    report = _progress_printer()
    print('Verifying the ledger', flush=True)
    result = ledger_verify.verify(lambda done, total: report('checked', done, total))
    print(result.summary if result.ok else f'\n{result.summary}', flush=True)  # off the open progress line
    return 0 if result.ok else 1


def _print_created(email: str, role: str, password: str | None) -> None:
    print(f'Created {role} {email}.')
    if password:
        print(f'One-time password (shown only now): {password}')


def _progress_printer() -> Callable[[str, int, int], None]:
    def report(step: str, done: int, total: int) -> None:
        print(f'\r  {step}: {done:,}/{total:,}', end='\n' if done >= total else '', flush=True)

    return report


def _where(settings: Settings) -> str:
    import sqlalchemy as sa

    return sa.make_url(settings.effective_database_url).render_as_string(hide_password=True)


def start_web(settings: Settings, *, host: str | None = None, port: int | None = None) -> None:
    """Assemble pages, API and background workers on NiceGUI's app, then run it (returns at once under tests)."""
    os.environ.setdefault('NICEGUI_STORAGE_PATH', str(settings.var_dir / 'nicegui'))
    from nicegui import app, ui

    import api
    import pages
    import tasks
    from components import live

    pages.register()
    api.register(app)
    tasks.search.connect(settings)
    tasks.jobs.connect(settings)
    _broadcast_events()
    live.start()
    # Everything loaded so far lives as long as the process: keep it out of the garbage collector's full
    # passes, which otherwise pause page builds for a quarter of a second.
    app.on_startup(gc.freeze)
    if not settings.server_mode:
        _embed_task_workers(app, settings)
    ui.run(
        pages.root,
        title='SecondVintage',
        host=host or settings.host,
        port=port or settings.port,
        storage_secret=settings.secret(),
        favicon=ROOT / 'assets' / 'static' / 'favicon.svg',
        reload=False,
        show=False,
        reconnect_timeout=20,
        show_welcome_message=False,
        session_middleware_kwargs={
            'same_site': 'lax',
            'max_age': settings.session_absolute_hours * 3600,
            'https_only': settings.secure_cookies,
        },
    )


def _broadcast_events() -> None:
    """Put this process's committed changes on the bus, so the screens of every web process hear of them."""
    from services import bus, notifications

    bus.broadcast_changes()
    notifications.broadcast_notifications()


def _embed_task_workers(app: object, settings: Settings) -> None:
    """The embedded default: Huey's consumer runs in threads of the web process."""
    import tasks

    state: dict[str, object] = {}

    def start() -> None:
        state['consumer'] = tasks.huey_app.start_embedded_consumer(settings.embedded_workers)

    def stop() -> None:
        if consumer := state.pop('consumer', None):
            consumer.stop(graceful=True)

    app.on_startup(start)
    app.on_shutdown(stop)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='python main.py', description='SecondVintage CRM')
    verbs = parser.add_subparsers(dest='verb', required=True, metavar='VERB')

    serve = verbs.add_parser('serve', help='start the web app on http://localhost:8080')
    serve.add_argument('--host', help='address to listen on (default SV_HOST, 0.0.0.0)')
    serve.add_argument('--port', type=int, help='port to listen on (default SV_PORT, 8080)')
    serve.set_defaults(run=cmd_serve)

    worker = verbs.add_parser('worker', help='run a task worker (server mode, needs SV_REDIS_URL)')
    worker.add_argument('--workers', type=int, default=4, help='worker threads (default 4)')
    worker.add_argument('--no-periodic', action='store_true', help='leave scheduled tasks to another worker')
    worker.set_defaults(run=cmd_worker)

    verbs.add_parser('migrate', help='bring the database schema up to date').set_defaults(run=cmd_migrate)
    verbs.add_parser('reindex', help='rebuild the search index from the database').set_defaults(run=cmd_reindex)

    seed = verbs.add_parser('seed', help='load demo data')
    seed.add_argument('--watches', type=int, default=2000, help='how many watches (default 2000)')
    seed.add_argument('--seed', type=int, default=42, help='random seed; the same seed gives the same data')
    seed.set_defaults(run=cmd_seed)

    admin = verbs.add_parser('createadmin', help='create an administrator')
    admin.add_argument('--email', required=True)
    admin.add_argument('--password', help='at least 10 characters; a password is generated when omitted')
    admin.set_defaults(run=cmd_createadmin)

    user = verbs.add_parser('createuser', help='create a user with a role')
    user.add_argument('--email', required=True)
    user.add_argument('--role', required=True, choices=['admin', 'manager', 'finance', 'agent', 'seller'])
    user.add_argument('--name')
    user.add_argument('--password', help='at least 10 characters; a password is generated when omitted')
    user.set_defaults(run=cmd_createuser)

    token = verbs.add_parser('create-token', help='create a personal access token for the API')
    token.add_argument('--email', required=True, help="the token acts as this user, with the user's permissions")
    token.add_argument('--scope', required=True, help='read or read-write')
    token.add_argument('--name', help='what the token is for (default "Command line")')
    token.add_argument('--days', type=int, help='days until it expires (default: never)')
    token.set_defaults(run=cmd_create_token)

    verify = verbs.add_parser('verify-ledger', help="check the ledger's hash chain (exit 1 when it is broken)")
    verify.set_defaults(run=cmd_verify_ledger)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one verb; configuration and start-up problems end in one sentence and exit code 2."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format='%(asctime)s %(levelname)s %(name)s: %(message)s')
    logging.getLogger('alembic.runtime.plugins').setLevel(logging.WARNING)
    try:
        code = args.run(args, get_settings())
    except (ConfigError, StartupError, ServiceError) as error:
        print(f'error: {error}', file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return code or 0  # a verb that found a problem (a broken ledger) says so in its exit code


if __name__ == '__main__':
    sys.exit(main())
