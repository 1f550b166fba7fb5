"""Live screens: from a committed change to a second browser showing it (target p95 under 250 ms), in both modes.

    .venv/bin/python bench/live.py [--watches 5000] [--runs 30]

Seeds the demo data into a scratch SQLite installation and serves it with `python main.py serve`: first in the
embedded mode, then in server mode (Redis at SV_BENCH_REDIS_URL, default redis://127.0.0.1:6379/14, and one
`python main.py worker` beside the server; skipped with the reason when Redis does not answer).

Two headless Chromiums: A (the admin) keeps a watch's page open; B (the manager) shows the inventory list, then
that watch's page (each screen with a watch of its own, so no page grows a longer history than one run's). A
one-click stage move on A, to On hold and back, is timed:

- click on A -> shown on B: A's `Date.now()` right before the click, B's `Date.now()` when a MutationObserver
  sees the watch's stage badge holding the new stage (DOM updated; paint follows in the same frame);
- write -> shown on B: from the stage event's timestamp, taken by the server inside the move's transaction just
  before the commit, to the same moment on B; this is the event-to-browser latency proper. It is split at the
  arrival on B of the server's last websocket message before the badge changed: before it the bus, the screen's
  reload and the push (server), after it Vue's update (browser);
- in server mode also: the bench process commits the move through `services.workflow` and publishes it on Redis
  itself, timed from the service call's return (the commit, then the publish) to the same moment on B.

One clock (the machine's) serves the browsers, the server and the bench. Changes are spaced further apart than the
live screens' coalescing pause, so each one is a first event, and the first change of each screen (a warm-up) is
not counted. A's page redraws on the same server at the same time, as it does in use; so do, for their first
20 s, the dashboards both browsers left after logging in (NiceGUI keeps a left page's client for its reconnect
timeout). Prints p50/p95/max per mode, screen and span; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import redis
from scratch import ROOT, scratch_sqlite
from search_ui import chromium, report, serving

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

    from services.workflow import StageRead

DEFAULT_REDIS = 'redis://127.0.0.1:6379/14'
QUEUE = 'svcrm-bench-live'  # its own queue and bus channel on that Redis, whoever else uses it
MOVABLE = ('intake', 'photographed', 'described', 'ready_to_list')  # stages with a move to On hold and back
SCREENS = ('list', 'detail')
WAIT_SECONDS = 15
# The stage badge of the watch under test as screen B shows it, or undefined while it is not drawn.
_BADGE = """
const badge = (screen, id, sku) => {
  const holder = screen === 'list'
    ? document.querySelector(`a[href="/watches/${id}"]`)?.closest('tr')
    : [...document.querySelectorAll('.font-mono')].find(e => e.textContent.trim() === sku)?.parentElement;
  return holder?.querySelector('.q-badge')?.textContent.trim();
};
"""
_SHOWS = _BADGE + 'return badge(...arguments);'
_OBSERVE = (
    _BADGE
    + """
const [screen, id, sku, expected] = arguments;
window.benchShown = null;
if (!window.benchListening) {  // when each message from the server reaches the page
  window.benchListening = true;
  window.socket.onAny(() => { window.benchPushed = Date.now(); });
}
const observer = new MutationObserver(() => {
  if (badge(screen, id, sku) === expected) {
    window.benchShown = {shown: Date.now(), pushed: window.benchPushed};
    observer.disconnect();
  }
});
observer.observe(document.body, {childList: true, subtree: true, characterData: true, attributes: true});
"""
)
# Screen A's move button to a stage, or undefined while it is not drawn.
_BUTTON = "const button = [...document.querySelectorAll('button')].find(b => b.innerText.trim() === arguments[0]);"
_HAS_BUTTON = _BUTTON + 'return Boolean(button);'
_CLICK = _BUTTON + 'const clicked = Date.now(); button.click(); return clicked;'  # the time right before the click


@dataclass
class Subject:
    """The watch moved back and forth: its stage now, and the two stages it alternates between."""

    id: int
    sku: str
    home: StageRead
    away: StageRead
    now: StageRead

    def next_stage(self) -> StageRead:
        return self.away if self.now.id == self.home.id else self.home


Figures = dict[tuple[str, str], list[float]]  # (screen, span) -> milliseconds


def pick_subjects() -> Iterator[Subject]:
    """Watches on the first page of the manager's default inventory list, in a stage with a move to On hold.

    Each screen of each mode gets a watch of its own, so no watch page grows a history longer than one run's.
    """
    from services import accounts, inventory, workflow

    stages = {stage.id: stage for stage in workflow.stages()}
    on_hold = next(stage for stage in stages.values() if stage.key == 'on_hold')
    manager = accounts.load_actor(_demo_user_id('manager'))
    for row in inventory.list_watches(manager).items:
        if stages[row.stage_id].key in MOVABLE:
            yield Subject(row.id, row.sku, stages[row.stage_id], on_hold, stages[row.stage_id])


def _demo_user_id(local: str) -> int:
    from sqlmodel import select

    from db.accounts import User
    from db.engine import session_scope
    from services.demo import DEMO_DOMAIN

    with session_scope() as session:
        return session.exec(select(User.id).where(User.email == f'{local}@{DEMO_DOMAIN}')).one()


@contextmanager
def mode(redis_url: str | None, scratch: Path) -> Iterator[None]:
    """The settings of one mode for the served app and this process; in server mode also a worker process."""
    from config import get_settings
    from services import bus

    os.environ.update(SV_REDIS_URL=redis_url or '', SV_QUEUE_NAME=QUEUE)
    get_settings.cache_clear()
    bus.get_bus.cache_clear()
    try:
        with worker(scratch) if redis_url else nullcontext():
            yield
    finally:
        os.environ['SV_REDIS_URL'] = ''
        get_settings.cache_clear()
        bus.get_bus.cache_clear()


@contextmanager
def worker(scratch: Path) -> Iterator[None]:
    with (scratch / 'worker.log').open('w') as log:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / 'main.py'), 'worker', '--workers', '2'],
            cwd=ROOT, env={**os.environ, 'PYTHONUNBUFFERED': '1'}, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        yield
    finally:
        process.terminate()
        process.wait(timeout=20)


def measure(url: str, subjects: Iterator[Subject], runs: int, *, bench_commits: bool) -> Figures:
    """Every screen of B, changed by A's clicks (and by this process's commits when they reach the server)."""
    from services.demo import DEMO_DOMAIN, DEMO_PASSWORD
    from tests.e2e.browsing import log_in

    figures: Figures = {}
    with chromium() as editor, chromium() as viewer:
        log_in(editor, url, f'admin@{DEMO_DOMAIN}', DEMO_PASSWORD)
        log_in(viewer, url, f'manager@{DEMO_DOMAIN}', DEMO_PASSWORD)
        for screen in SCREENS:
            subject = next(subjects)
            _open(editor, f'{url}/watches/{subject.id}')
            _open(viewer, url + ('/watches' if screen == 'list' else f'/watches/{subject.id}'))
            changes = [partial(click_on_a, editor, viewer, subject, screen)]
            if bench_commits:
                changes.append(partial(commit_here, viewer, subject, screen))
            for change in changes:
                change()  # the warm-up
                for _ in range(runs):
                    for span, ms in change().items():
                        figures.setdefault((screen, span), []).append(ms)
    return figures


def click_on_a(editor: WebDriver, viewer: WebDriver, subject: Subject, screen: str) -> dict[str, float]:
    """One stage move clicked on A's watch page, until B shows it and A has drawn its next move button."""
    target = subject.next_stage()
    _until(lambda: editor.execute_script(_HAS_BUTTON, target.name))
    _arm(viewer, subject, screen, target)
    clicked = editor.execute_script(_CLICK, target.name)
    seen = _seen(viewer, subject, target)
    written = _written_ms(subject.id, target.id)
    return {
        'click on A -> shown on B': seen['shown'] - clicked,
        'write -> shown on B': seen['shown'] - written,
        '  of which write -> last push': seen['pushed'] - written,
        '  and last push -> shown': seen['shown'] - seen['pushed'],
    }


def commit_here(viewer: WebDriver, subject: Subject, screen: str) -> dict[str, float]:
    """One stage move committed by this process through the service and published on Redis by it."""
    from services import accounts, workflow

    target = subject.next_stage()
    admin = accounts.load_actor(_demo_user_id('admin'))
    _arm(viewer, subject, screen, target)
    workflow.move_watch(admin, subject.id, target.id)
    committed = time.time() * 1000
    return {'bench commit -> shown on B': _seen(viewer, subject, target)['shown'] - committed}


def _arm(viewer: WebDriver, subject: Subject, screen: str, target: StageRead) -> None:
    """Once B shows the watch's stage now, watch B's page for the watch's badge turning to `target`."""
    where = (screen, subject.id, subject.sku)
    _until(lambda: viewer.execute_script(_SHOWS, *where) == subject.now.name)
    viewer.execute_script(_OBSERVE, *where, target.name)


def _seen(viewer: WebDriver, subject: Subject, target: StageRead) -> dict[str, float]:
    """When B showed `target` as the watch's stage, and when the last message before that reached B."""
    seen = _until(lambda: viewer.execute_script('return window.benchShown'))
    subject.now = target
    _pause()
    return seen


def _written_ms(watch_id: int, stage_id: int) -> float:
    """When the server wrote the move: its stage event's timestamp, set in the transaction just before the commit."""
    from sqlmodel import select

    from db.engine import session_scope
    from db.workflow import StageEvent

    query = select(StageEvent).where(StageEvent.watch_id == watch_id).order_by(StageEvent.id.desc())
    with session_scope() as session:
        event = session.exec(query).first()
        if event is None or event.to_stage_id != stage_id:
            raise RuntimeError(f'the last move of watch {watch_id} is not the one just clicked')
        return event.at.timestamp() * 1000


def _pause() -> None:
    """Longer than the live screens' coalescing pause, so the next change finds every screen idle."""
    from components.live_screen import PAUSE_SECONDS

    time.sleep(PAUSE_SECONDS + 0.5)


def _open(driver: WebDriver, url: str) -> None:
    from tests.e2e.browsing import connected

    driver.get(url)
    connected(driver)


def _until(probe: Callable[[], object]) -> object:
    deadline = time.monotonic() + WAIT_SECONDS
    while not (value := probe()):
        if time.monotonic() > deadline:
            raise TimeoutError(f'nothing after {WAIT_SECONDS} s')
        time.sleep(0.005)
    return value


def redis_answers(url: str) -> str | None:
    """None when Redis answers at `url`, else why not."""
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping()
    except redis.RedisError as error:
        return str(error)
    return None


def run_mode(name: str, scratch: Path, subjects: Iterator[Subject], runs: int, redis_url: str | None) -> None:
    from services import bus

    with mode(redis_url, scratch), serving(scratch) as url:
        stop_broadcast = bus.broadcast_changes() if redis_url else lambda: None
        try:
            figures = measure(url, subjects, runs, bench_commits=bool(redis_url))
        finally:
            stop_broadcast()
    for (screen, span), ms in figures.items():
        print(report(f'{name:<9} {screen:<7} {span:<30}', ms))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--watches', type=int, default=5_000)
    parser.add_argument('--runs', type=int, default=30)
    args = parser.parse_args()
    redis_url = os.environ.get('SV_BENCH_REDIS_URL', DEFAULT_REDIS)
    with scratch_sqlite() as scratch:
        from services import demo

        demo.seed(watches=args.watches, seed=42)
        subjects = iter(list(pick_subjects()))
        print(f'{args.watches:,} demo watches; load average {os.getloadavg()[0]:.1f}. Each screen of each mode moves a')
        print(f'watch of its own between its stage and On hold, {args.runs} times after a warm-up; milliseconds:')
        run_mode('embedded', scratch, subjects, args.runs, None)
        if problem := redis_answers(redis_url):
            print(f'server mode skipped: Redis does not answer at {redis_url} ({problem})')
        else:
            run_mode('server', scratch, subjects, args.runs, redis_url)


if __name__ == '__main__':
    main()
