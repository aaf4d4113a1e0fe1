"""Soak test of workers sharing one folder: many tiny images, hard kills, then a resume.

Writes ``--images`` tiny images, starts ``--workers`` copies of the folder tool
(tools/DynaSeg_SCF_BSD_VOC.py) on the same input and output folders, SIGKILLs a random live
worker ``--kills`` times at random points of the run (a replacement starts at once, as a job
scheduler would restart it), waits for the workers to finish, then runs one more worker (the
resume). Then it checks the folder:

- every image has exactly one label map, one record and its two renderings, and nothing else
  is there: 0 images lost, 0 temporary files, 0 claims;
- no image was segmented twice: each worker prints one ``[k/N] stem: done`` line per image
  (its progress when output is not a terminal), and no stem appears in two such lines;
- peak memory does not grow with the image count: every record holds its worker's peak RSS so
  far (``peak_rss_mb``); for each worker that wrote at least ``--rss-from`` images, the peak at
  its last image is within ``--rss-tolerance`` of the peak at image ``--rss-from``.

``tools/soak_folder.py`` (:mod:`dynaseg.cli.soak_folder`) is its command line. It prints the
numbers, writes them to ``<work-dir>/soak.json`` and exits 0 when every check holds, else 1.
Not part of the test suite at its full size (it takes minutes)::

    python tools/soak_folder.py --work-dir work_dirs/soak  # 2,000 images, 3 workers, 5 kills
    python tools/soak_folder.py --work-dir work_dirs/soak --images 200 --kills 2  # a quick one
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
from PIL import Image

from .provenance import REPO_ROOT

TOOL = REPO_ROOT / 'tools' / 'DynaSeg_SCF_BSD_VOC.py'
#: The model config alone, shrunk so an image costs milliseconds: the soak is about the folder.
CONFIG = REPO_ROOT / 'configs' / '_base_' / 'models' / 'dynaseg_cnn.py'
OPTIONS = [
    'model.backbone.channels=16',
    'model.backbone.out_channels=16',
    'model.silhouette.enabled=False',
]
DONE_LINE = re.compile(r'^\[\d+/\d+\] (?P<stem>.+): done, ')


def write_images(folder: Path, count: int, size: int, rng: np.random.Generator) -> list[str]:
    """Blocky random colour images (a few regions each), as PNG."""
    folder.mkdir(parents=True)
    stems = [f'img{i:05d}' for i in range(count)]
    for stem in stems:
        blocks = rng.integers(0, 256, (4, 4, 3), dtype=np.uint8)
        image = np.kron(blocks, np.ones((size // 4 + 1, size // 4 + 1, 1), np.uint8))
        Image.fromarray(image[:size, :size]).save(folder / f'{stem}.png')
    return stems


class Workers:
    """The worker processes, each logging to its own file."""

    def __init__(self, work_dir: Path, max_iters: int) -> None:
        self.work_dir = work_dir
        self.logs = work_dir / 'logs'
        self.logs.mkdir()
        self.command = [sys.executable, str(TOOL)]
        self.command += ['--input_folder', str(work_dir / 'in')]
        self.command += ['--output_folder', str(work_dir / 'out')]
        self.command += ['--config', str(CONFIG), '--threads', '1', '--cfg-options']
        self.command += [*OPTIONS, f'model.schedule.max_iters={max_iters}']
        self.env = dict(os.environ, PYTHONUNBUFFERED='1', OMP_NUM_THREADS='1')
        self.started: list[subprocess.Popen] = []
        self.exit_codes: list[int] = []

    def start(self) -> subprocess.Popen:
        log = (self.logs / f'worker{len(self.started)}.log').open('w')
        process = subprocess.Popen(
            self.command, stdout=log, stderr=subprocess.STDOUT, env=self.env, cwd=REPO_ROOT
        )
        log.close()
        self.started.append(process)
        return process

    def live(self) -> list[subprocess.Popen]:
        return [p for p in self.started if p.poll() is None]


def label_maps(out: Path) -> int:
    try:
        return sum(1 for entry in os.scandir(out) if entry.name.endswith('.png'))
    except FileNotFoundError:
        return 0


def run_workers(args: argparse.Namespace, work_dir: Path, rng: random.Random) -> dict:
    """Start the workers, kill ``args.kills`` of them at random progress points, resume."""
    workers = Workers(work_dir, args.max_iters)
    for _ in range(args.workers):
        workers.start()
    # Kill points: random fractions of the images done, then a random extra delay, so a kill
    # lands anywhere in an image (optimising, writing, claiming, releasing).
    points = sorted(rng.uniform(0.05, 0.9) * args.images for _ in range(args.kills))
    kills = []
    start = time.monotonic()
    while workers.live():
        done = label_maps(work_dir / 'out')
        if points and done >= points[0]:
            points.pop(0)
            time.sleep(rng.uniform(0.0, 1.0))
            live = workers.live()
            if live:
                victim = rng.choice(live)
                victim.send_signal(signal.SIGKILL)
                victim.wait()
                kills.append({'pid': victim.pid, 'images_done': label_maps(work_dir / 'out')})
                workers.start()
        time.sleep(0.1)
    seconds = time.monotonic() - start
    resume = workers.start()
    resume.wait()
    return {
        'kills': kills,
        'kills_missed': len(points),  # the run ended before these progress points
        'workers_started': len(workers.started),
        'seconds_until_resume': round(seconds, 1),
        'exit_codes': [p.returncode for p in workers.started],
        'resume_log_tail': (workers.logs / f'worker{len(workers.started) - 1}.log')
        .read_text()
        .splitlines()[-3:],
    }


def check(args: argparse.Namespace, work_dir: Path, stems: list[str]) -> dict:
    out = work_dir / 'out'
    expected = set(stems)
    maps = {p.stem for p in out.glob('*.png')}
    records = {p.stem for p in (out / 'records').glob('*.json')}
    renderings = Counter(
        p.name.rsplit('_', 1)[0] for p in (out / 'vis').iterdir() if not p.name.startswith('.')
    )
    hidden = sorted(str(p.relative_to(out)) for p in out.rglob('.*'))
    claims = sorted(str(p.relative_to(out)) for p in out.rglob('*claim*'))
    claims += sorted(str(p.relative_to(out)) for p in out.rglob('*.recovering'))
    done_lines: Counter[str] = Counter()
    for log in sorted((work_dir / 'logs').glob('*.log')):
        for line in log.read_text(errors='replace').splitlines():
            match = DONE_LINE.match(line)
            if match:
                done_lines[match['stem']] += 1
    twice = sorted(stem for stem, n in done_lines.items() if n > 1)

    by_worker: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for stem in sorted(records):
        path = out / 'records' / f'{stem}.json'
        record = json.loads(path.read_text())
        by_worker[record['pid']].append((path.stat().st_mtime_ns, record['peak_rss_mb']))
    rss = []
    for pid, series in sorted(by_worker.items()):
        peaks = [peak for _, peak in sorted(series)]
        entry = {'pid': pid, 'images': len(peaks), 'first_mb': peaks[0], 'last_mb': peaks[-1]}
        if len(peaks) >= args.rss_from:
            at = peaks[args.rss_from - 1]
            entry |= {f'at_{args.rss_from}_mb': at, 'growth': round(peaks[-1] / at - 1, 4)}
        rss.append(entry)
    growths = [w['growth'] for w in rss if 'growth' in w]
    results = {
        'images': len(stems),
        'lost': len(expected - maps),
        'label_maps': len(maps & expected),
        'records': len(records & expected),
        'unexpected_files': sorted((maps | records) - expected),
        'images_without_both_renderings': sum(1 for s in stems if renderings[s] != 2),
        'done_lines': sum(done_lines.values()),
        'done_twice': twice,
        'temporary_files': hidden,
        'claims_left': claims,
        'rss_per_worker': rss,
        'max_rss_growth': max(growths) if growths else None,
    }
    results['ok'] = bool(
        results['lost'] == 0
        and results['records'] == len(stems)
        and not results['unexpected_files']
        and results['images_without_both_renderings'] == 0
        and not twice
        and not hidden
        and not claims
        and growths
        and max(growths) <= args.rss_tolerance
    )
    return results


def run_soak(args: argparse.Namespace) -> dict:
    """Empty ``args.work_dir``, run the workers with their kills and the resume, check the
    folder; the results (also written to ``<work-dir>/soak.json``), ``ok`` when every check
    holds."""
    work_dir = Path(args.work_dir)
    shutil.rmtree(work_dir, ignore_errors=True)
    work_dir.mkdir(parents=True)
    rng = random.Random(args.seed)
    stems = write_images(work_dir / 'in', args.images, args.size, np.random.default_rng(args.seed))
    load = os.getloadavg()
    run = run_workers(args, work_dir, rng)
    results = {'settings': vars(args), 'load_average_at_start': load, **run}
    results |= check(args, work_dir, stems)
    (work_dir / 'soak.json').write_text(json.dumps(results, indent=2) + '\n')
    return results
