"""Typing in the header's search box in Chromium: time from the pause after the last keystroke to results shown.

    .venv/bin/python bench/search_ui.py [--watches 100000] [--runs 20]

Seeds the demo data into a scratch SQLite installation, serves it with `python main.py serve`, logs in with
headless Chromium and types each kind of query a dealer types (a misspelt model, a partial reference, a SKU,
a brand, a model, two words) into the header's box, one keystroke at a time as a person does. The page notes when
the last keystroke landed and when the dropdown's answer for exactly that text appeared in the DOM; the figure is
that gap less the box's debounce pause (what the server and the browser add), next to the service's own time for
the same query. Prints p50/p95/max per kind of query; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
from scratch import ROOT, scratch_sqlite
from startup import free_port

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

    from services.permissions import Actor

EMAIL, PASSWORD = 'bench@example.com', 'a quiet shop of old watches'
BOX = 'header input[type=search]'
# Notes when the last keystroke reached the box, and the first moment the dropdown holds the answer for the text.
_WATCH_ANSWER = """
const text = arguments[0];
const box = document.querySelector('header input[type=search]');
const answered = () => document.querySelector(`.q-menu .q-list[data-query="${CSS.escape(text)}"]`);
window.benchAnswer = null;
let key = 0;
box.oninput = () => { key = performance.now(); };
new MutationObserver((_, observer) => {
  if (answered()) { observer.disconnect(); window.benchAnswer = {key: key, shown: performance.now()}; }
}).observe(document.body, {childList: true, subtree: true, attributes: true});
"""


def queries(watch_count: int) -> dict[str, str]:
    """One query of each kind, made from a watch of the seeded data."""
    from sqlmodel import select

    from db.engine import session_scope
    from db.inventory import Watch

    rng = random.Random(7)
    with session_scope() as session:
        watch = None
        while watch is None or not watch.reference or max(map(len, re.findall(r'\w+', watch.model)), default=0) < 6:
            watch = session.get(Watch, rng.randint(1, watch_count))
        other_brand = session.exec(select(Watch.brand).where(Watch.brand != watch.brand).limit(1)).one()
    word = max(re.findall(r'\w+', watch.model), key=len)
    return {
        'misspelt model': (word[:2] + word[3] + word[2] + word[4:]).lower(),  # two letters swapped
        'partial reference': watch.reference[: max(3, len(watch.reference) - 2)],
        'SKU': watch.sku,
        'brand': other_brand.lower(),
        'model': word.lower(),
        'brand + model': f'{watch.brand} {word}'.lower(),
    }


@contextmanager
def serving(scratch: Path) -> Iterator[str]:
    """The app as an operator runs it, on the scratch installation; yields its base URL."""
    port = free_port()
    with (scratch / 'server.log').open('w') as log:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / 'main.py'), 'serve', '--host', '127.0.0.1', '--port', str(port)],
            cwd=ROOT,
            env={**os.environ, 'PYTHONUNBUFFERED': '1'},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            url = f'http://127.0.0.1:{port}'
            _wait_until_up(url)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=20)


def _wait_until_up(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f'{url}/api/health', timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError('the app did not answer /api/health within 60 s')


@contextmanager
def chromium() -> Iterator[WebDriver]:
    """Headless Chromium set up as the browser tests set it up."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    from tests.e2e.conftest import CHROMEDRIVER, CHROMIUM, CHROMIUM_ARGS

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (*CHROMIUM_ARGS, '--window-size=1280,900'):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def time_typing(driver: WebDriver, text: str) -> float:
    """Type `text` key by key; milliseconds from the end of the pause after the last keystroke to the answer."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    from components.global_search import DEBOUNCE_SECONDS

    box = driver.find_element(By.CSS_SELECTOR, BOX)
    box.send_keys(Keys.CONTROL, 'a')
    box.send_keys(Keys.BACKSPACE)
    time.sleep(0.4)  # the emptied box closes its dropdown
    driver.execute_script(_WATCH_ANSWER, text)
    for character in text:
        box.send_keys(character)
    deadline = time.monotonic() + 15
    while not (answer := driver.execute_script('return window.benchAnswer')):
        if time.monotonic() > deadline:
            raise TimeoutError(f'no answer for "{text}"')
        time.sleep(0.005)
    return answer['shown'] - answer['key'] - DEBOUNCE_SECONDS * 1000


def time_service(actor: Actor, text: str, runs: int) -> list[float]:
    """The service's own milliseconds for the same query, in this process (no browser, no socket)."""
    from services import suggestions

    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        suggestions.suggest(actor, text)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def report(label: str, ms: list[float]) -> str:
    ms = sorted(ms)
    p95 = ms[max(0, round(len(ms) * 0.95) - 1)]
    return f'{label} p50 {statistics.median(ms):6.1f}  p95 {p95:6.1f}  max {ms[-1]:6.1f} ms'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--watches', type=int, default=100_000)
    parser.add_argument('--runs', type=int, default=20)
    args = parser.parse_args()
    with scratch_sqlite() as scratch:
        from services import accounts, demo
        from tests.e2e.browsing import log_in, wait_for_path

        started = time.perf_counter()
        demo.seed(watches=args.watches, seed=42)
        admin, _ = accounts.create_admin(EMAIL, PASSWORD)
        print(f'seeded {args.watches:,} watches in {time.perf_counter() - started:.1f} s')
        kinds = queries(args.watches)
        with serving(scratch) as url, chromium() as driver:
            log_in(driver, url, EMAIL, PASSWORD)
            wait_for_path(driver, '/')
            time_typing(driver, 'warm up')
            shown = {kind: [time_typing(driver, text) for _ in range(args.runs)] for kind, text in kinds.items()}
        for kind, text in kinds.items():
            service = report('service', time_service(accounts.load_actor(admin.id), text, args.runs))
            print(f'{kind:<18} {text!r:<24} {report("shown after pause", shown[kind])}   {service}')


if __name__ == '__main__':
    main()
