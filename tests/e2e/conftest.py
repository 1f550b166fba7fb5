"""End-to-end harness: the real app (`python main.py serve`) in a subprocess, driven by headless Chromium.

The server gets its own database cloned from the session template, filled here through the services
before it starts, and its own var directory. It runs in whatever mode the suite runs in: SQLite with
embedded Huey, or PostgreSQL and Redis when `SV_TEST_DATABASE_URL` and `SV_TEST_REDIS_URL` are set; then a
`python main.py worker` runs beside the server, as in production, and the two talk through Redis.
"""

from __future__ import annotations

import itertools
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from config import ROOT
from db import engine as db_engine
from tests import databases
from tests.e2e.browsing import SCREENSHOTS

CHROMIUM = Path('/usr/bin/chromium')
CHROMEDRIVER = Path('/usr/bin/chromedriver')
CHROMIUM_ARGS = (
    '--headless=new',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-dev-shm-usage',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-quic',
)
# Far above the numbers tests/conftest.py hands out per test, so a clone's name never collides with theirs.
_database_numbers = itertools.count(900_000)
_STARTUP_SECONDS = 60
_server_logs: dict[str, Path] = {}  # base URL -> the served app's log, shown when a test against it fails


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[pytest.TestReport]:
    """A failed journey leaves a screenshot of where the browser was and the end of the app's log in the report."""
    report = yield
    if report.failed and call.when == 'call':
        arguments = getattr(item, 'funcargs', {})
        if driver := arguments.get('browser'):
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            driver.save_screenshot(str(SCREENSHOTS / f'FAILED-{item.name}.png'))
        if (log := _server_logs.get(arguments.get('live_app', ''))) and log.exists():
            report.sections.append(('app log (last 60 lines)', '\n'.join(log.read_text().splitlines()[-60:])))
    return report


@pytest.fixture(scope='session', autouse=True)
def _chromium() -> None:
    """Skip (before any server starts) where there is no browser to drive; CI always has one."""
    if not CHROMIUM.exists():
        pytest.skip(f'Chromium not installed: {CHROMIUM} is missing (apt-get install chromium chromium-driver).')


@pytest.fixture(scope='module')
def populate() -> Callable[[], None]:
    """Override in a test module: fills the app's database through the services before the app starts."""
    return lambda: None


@pytest.fixture(scope='module')
def app_environment() -> Callable[[str], dict[str, str]]:
    """Override in a test module: more environment for the served app, given the base URL it will answer at."""
    return lambda _url: {}


@pytest.fixture(scope='module')
def live_app(
    populate: Callable[[], None],
    app_environment: Callable[[str], dict[str, str]],
    database_template: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    """Serve the app on a free port for the module, its database filled by `populate`; yields its base URL."""
    scratch = tmp_path_factory.mktemp('e2e')
    database_url = databases.clone(database_template, scratch, next(_database_numbers))
    try:
        _populate(database_url, populate)
        port = _free_port()
        url = f'http://127.0.0.1:{port}'
        log = scratch / 'server.log'
        env = {**_server_env(database_url, scratch / 'var'), **app_environment(url)}
        verbs = [['serve', '--host', '127.0.0.1', '--port', str(port)]]
        if env.get('SV_REDIS_URL'):  # server mode: the tasks run in a worker process of their own, as in production
            verbs.append(['worker', '--workers', '2'])
        with log.open('w') as output:
            processes = [
                subprocess.Popen([sys.executable, 'main.py', *verb], cwd=ROOT, env=env, stdout=output, stderr=output)
                for verb in verbs
            ]
        try:
            _wait_until_healthy(url, processes, log)
            _server_logs[url] = log
            yield url
        finally:
            for process in processes:
                _stop(process)
    finally:
        databases.drop(database_url)


@pytest.fixture(scope='module')
def browser() -> Iterator[webdriver.Chrome]:
    """One headless Chromium for the module (starting one costs about a second)."""
    yield from _chromium_session()


@pytest.fixture(scope='module')
def second_browser() -> Iterator[webdriver.Chrome]:
    """Another person at another computer: a Chromium of its own, with its own cookies."""
    yield from _chromium_session()


def _chromium_session() -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in CHROMIUM_ARGS:
        options.add_argument(argument)
    options.add_argument('--window-size=1280,900')
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        driver.quit()


def _populate(database_url: str, populate: Callable[[], None]) -> None:
    """Run the module's data setup on the server's database, then let go of it (the server owns it from now on)."""
    db_engine.use_engine(db_engine.make_engine(database_url))
    try:
        populate()
    finally:
        db_engine.use_engine(None)


def _server_env(database_url: str, var_dir: Path) -> dict[str, str]:
    """The test process's environment (secret key, Redis, queue name) pointed at the server's own database.

    Without pytest's and NiceGUI's test variables: NiceGUI would otherwise behave as if under its own test runner.
    """
    env = {name: value for name, value in os.environ.items() if not name.startswith(('NICEGUI_', 'PYTEST_'))}
    env.update(SV_DATABASE_URL=database_url, SV_VAR_DIR=str(var_dir), PYTHONUNBUFFERED='1')
    return env


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _wait_until_healthy(url: str, processes: list[subprocess.Popen], log: Path) -> None:
    deadline = time.monotonic() + _STARTUP_SECONDS
    while time.monotonic() < deadline:
        if exited := next((process for process in processes if process.poll() is not None), None):
            raise RuntimeError(f'`{exited.args[2]}` exited with code {exited.returncode}:\n{log.read_text()[-3000:]}')
        try:
            if httpx.get(f'{url}/api/health', timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f'The app did not answer /api/health within {_STARTUP_SECONDS} s:\n{log.read_text()[-3000:]}')
