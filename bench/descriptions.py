"""Description providers: the built-in writer's speed, and a batch through an OpenAI-compatible server.

    .venv/bin/python bench/descriptions.py [--texts 10000] [--items 1000] [--latency 0.2] [--workers 8]

- Built-in writer: `--texts` descriptions (English and Swedish alternating) of watches drawn from the
  reference catalogue with every fact filled in, as a batch over the whole stock would ask; wall time and the
  per-text p50/p95 (target: 10,000 well under 20 s).
- OpenAI-compatible: `--items` texts through the stand-in server of tests/fakes (real HTTP on loopback) that
  answers after `--latency` seconds, from a pool of `--workers` threads sharing one ChatClient, as the batch job
  does; wall time against the ideal items x latency / workers (25 s for the defaults), so the overhead of the
  client, its connection pool and the threads shows.
- The batch job: the same `--items` watches described by the real job runner (progress, per-item unit of work,
  audit entry and bus message) against the stand-in, with `--workers` as the provider's concurrency, on a
  scratch SQLite installation; wall time against the same ideal (target: within 20 %).

The first two need no database and no Redis: the providers know nothing of either. Figures only, nothing fails.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

from scratch import scratch_sqlite  # importing it also puts the checkout on the import path

from services import reference
from services.grading import COMPONENTS, GRADES
from services.integrations.ai import WatchFacts
from services.integrations.openai_chat import ChatClient, ChatConfig
from services.integrations.writer import write
from tests.fakes.openai_server import openai_server

STRAPS = ('Steel bracelet', 'Brown leather strap', 'Black alligator strap', 'Rubber strap', 'NATO strap')
SERVICE = ('Full service (Urmakare Holm, Stockholm)', 'Crystal replaced', 'Gaskets replaced, pressure tested')


def watches(count: int) -> list[WatchFacts]:
    """Watches as the record would give them, every fact known, from a fixed seed."""
    rng = random.Random(6)
    models = reference.table().models
    backgrounds = {brand.name: brand.background for brand in reference.brands()}
    facts = []
    for number in range(count):
        model = rng.choice(models)
        condition = {part: {aspect: rng.choice('ABC') for aspect in aspects} for part, aspects in COMPONENTS.items()}
        facts.append(
            WatchFacts(
                sku=f'W-{number:06d}',
                brand=model.brand,
                model=model.model,
                reference=model.reference,
                calibre=model.calibre,
                movement=model.movement.value,
                year=rng.randint(model.year_from, model.year_to),
                case_material=model.case_material,
                case_diameter_mm=float(model.diameter_mm),
                dial=rng.choice(model.dials),
                strap=rng.choice(STRAPS),
                gender='men',
                condition=condition,
                overall_grade=rng.choice(list(GRADES)[:3]),
                box=rng.random() < 0.5 or None,
                papers=rng.random() < 0.4 or None,
                service_history=tuple(f'20{rng.randint(10, 24)}-05-01: {work}' for work in rng.sample(SERVICE, 2)),
                brand_background=backgrounds.get(model.brand),
                model_background=f'The {model.brand} {model.model} was made from {model.year_from}.',
            )
        )
    return facts


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50, p95 = ordered[len(ordered) // 2], ordered[int(len(ordered) * 0.95)]
    return f'p50 {p50 * 1e6:.0f} us, p95 {p95 * 1e6:.0f} us, max {ordered[-1] * 1e6:.0f} us'


def bench_writer(count: int) -> None:
    facts = watches(count)
    samples = []
    started = time.perf_counter()
    for index, watch in enumerate(facts):
        before = time.perf_counter()
        write(watch, 'en' if index % 2 == 0 else 'sv')
        samples.append(time.perf_counter() - before)
    wall = time.perf_counter() - started
    print(f'built-in writer: {count:,} texts in {wall:.2f} s (target well under 20 s); per text {percentiles(samples)}')


def bench_chat(items: int, latency: float, workers: int) -> None:
    facts = watches(min(items, 500))
    with openai_server(latency=latency) as fake:
        config = ChatConfig(base_url=fake.base_url, model='gpt-4o-mini', api_key='sk-test')
        with ChatClient(config) as client, ThreadPoolExecutor(workers) as pool:
            client.describe(facts[0], 'en')  # open the first connection outside the timing
            started = time.perf_counter()
            texts = list(pool.map(lambda index: client.describe(facts[index % len(facts)], 'sv'), range(items)))
            wall = time.perf_counter() - started
    ideal = items * latency / workers
    tokens = statistics.mean(usage.prompt_tokens + usage.completion_tokens for _, usage in texts)
    print(
        f'OpenAI-compatible stand-in ({latency * 1000:.0f} ms a reply, {workers} threads, one client): '
        f'{items:,} texts in {wall:.2f} s, ideal {ideal:.2f} s, overhead {(wall / ideal - 1) * 100:.1f} %; '
        f'{tokens:.0f} tokens a text'
    )


def bench_job(items: int, latency: float, workers: int) -> None:
    """The batch as a person starts it: one `descriptions` job over `items` watches, run by the real runner."""
    with scratch_sqlite():
        from services import accounts, ai_settings, demo, jobs
        from services.permissions import SYSTEM

        demo.seed(watches=items, seed=7, progress=lambda *_: None)
        user, _ = accounts.create_admin('bench@example.com', 'a quiet shop of old watches')
        admin = accounts.load_actor(user.id)
        with openai_server(latency=latency) as fake:
            openai = {'base_url': fake.base_url, 'model': 'gpt-4o-mini', 'api_key': 'sk-test', 'concurrency': workers}
            ai_settings.save(SYSTEM, {'provider': 'openai', 'languages': ['en'], 'openai': openai})
            job = jobs.start(admin, 'descriptions', {'filters': {}, 'languages': ['en']})
            started = time.perf_counter()
            jobs.run(job.id, progress=True)
            wall = time.perf_counter() - started
        done = jobs.get(admin, job.id)
    ideal = done.total * latency / workers
    print(
        f'Batch job through the runner ({latency * 1000:.0f} ms a reply, concurrency {workers}): {done.done:,} of '
        f'{done.total:,} texts ({done.status}) in {wall:.2f} s, ideal {ideal:.2f} s, '
        f'overhead {(wall / ideal - 1) * 100:.1f} % (target within 20 %)'
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--texts', type=int, default=10_000)
    parser.add_argument('--items', type=int, default=1_000)
    parser.add_argument('--latency', type=float, default=0.2)
    parser.add_argument('--workers', type=int, default=8)
    options = parser.parse_args()
    bench_writer(options.texts)
    bench_chat(options.items, options.latency, options.workers)
    bench_job(options.items, options.latency, options.workers)


if __name__ == '__main__':
    main()
