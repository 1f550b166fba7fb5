"""Time to take in a full set of photos: 40 JPEGs of 12 megapixels added to one watch (target under 30 s on 2 cores).

    .venv/bin/python bench/photos.py [--photos 40] [--width 4000] [--height 3000]

Works in a temporary directory (SQLite database and media store); the photos are noisy enough that JPEG
cannot shrink them to nothing, like real ones. Prints the total, the time per photo, the CPU time across
threads (the figure to trust on a busy machine) and the load average.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import time

from PIL import Image
from scratch import scratch_sqlite


def photo(rng: random.Random, width: int, height: int) -> bytes:
    """Coarse noise scaled up smoothly: detail at every scale, compresses like a photo (2 to 3 MB at 12 MP)."""
    coarse = Image.frombytes('RGB', (width // 10, height // 10), rng.randbytes(width // 10 * (height // 10) * 3))
    buffer = io.BytesIO()
    coarse.resize((width, height), Image.Resampling.BILINEAR).save(buffer, 'JPEG', quality=90)
    return buffer.getvalue()


def watch_and_manager() -> tuple[object, int]:
    from sqlmodel import select

    from db.engine import session_scope
    from db.inventory import Watch
    from db.workflow import Stage
    from services import accounts

    user, _ = accounts.create_admin('bench@example.com', 'a quiet shop of old watches')
    with session_scope() as session:
        stage_id = session.exec(select(Stage.id).where(Stage.key == 'intake')).one()
        watch = Watch(sku='SV-BENCH-00001', brand='Omega', model='Speedmaster', stage_id=stage_id)
        session.add(watch)
        session.flush()
        watch_id = watch.id
    return accounts.load_actor(user.id), watch_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--photos', type=int, default=40)
    parser.add_argument('--width', type=int, default=4000)
    parser.add_argument('--height', type=int, default=3000)
    args = parser.parse_args()
    with scratch_sqlite():
        from services import photos

        actor, watch_id = watch_and_manager()
        rng = random.Random(42)
        files = [(f'IMG_{n:04d}.JPG', photo(rng, args.width, args.height)) for n in range(args.photos)]
        megabytes = sum(len(data) for _, data in files) / 1e6
        print(f'{args.photos} photos of {args.width}x{args.height} px, {megabytes:.0f} MB, {os.cpu_count()} cores')
        started, cpu = time.perf_counter(), time.process_time()
        result = photos.add_photos(actor, watch_id, files)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        print(f'add_photos: {seconds:.1f} s total, {seconds / args.photos * 1000:.0f} ms per photo, '
              f'{len(result.accepted)} accepted, {len(result.refused)} refused')  # fmt: skip
        print(f'CPU time {cpu:.1f} s (all threads); load average {os.getloadavg()[0]:.1f}')


if __name__ == '__main__':
    main()
