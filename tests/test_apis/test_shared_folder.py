"""Workers sharing one folder: separate processes on the same input and output folders split the
images through claims, each image done once, and a worker killed holding a claim is recovered."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from dynaseg.testing import piecewise_image
from dynaseg.utils.fileio import short_name

REPO_ROOT = Path(__file__).resolve().parents[2]
TINY_CONFIG = REPO_ROOT / 'configs' / '_base_' / 'models' / 'dynaseg_cnn.py'
TINY_OPTIONS = {
    'model.backbone.channels': 8,
    'model.backbone.out_channels': 8,
    'model.schedule.max_iters': 3,
    'model.silhouette.enabled': False,
}

# A worker: imports and builds everything, says it is ready, waits for the start signal so all
# workers begin together (process start-up takes seconds, an image milliseconds), then
# segments the folder and prints its outcomes as JSON. With HOLD set it stops for good inside
# that image, after telling the test it holds the claim.
WORKER = """
import json, os, sys, time
from pathlib import Path
import torch
from dynaseg.apis import load_config, segment_folder
from dynaseg.models.segmentors.dynaseg import DynaSeg

torch.set_num_threads(1)
config, options, inputs, outputs, ready, go, hold = sys.argv[1:8]
cfg = load_config(config, json.loads(options))
original = DynaSeg.segment

def segment(self, image, *args, **kwargs):
    if hold and image.shape[-1] == int(hold):
        Path(ready).with_suffix('.holding').touch()
        time.sleep(600)
    return original(self, image, *args, **kwargs)

DynaSeg.segment = segment
Path(ready).touch()
while not Path(go).exists():
    time.sleep(0.01)
summary = segment_folder(inputs, outputs, cfg, progress=False, log=lambda message: None)
print(json.dumps([[o.stem, o.status] for o in summary.outcomes]))
"""


def write_images(folder: Path, count: int, width: int = 20) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    stems = [f'img{i:02d}' for i in range(count)]
    for i, stem in enumerate(stems):
        rgb = piecewise_image(16, width + (i == 0), seed=i)[0]  # img00 is one pixel wider
        Image.fromarray(rgb).save(folder / f'{stem}.png')
    return stems


def start_workers(tmp_path: Path, count: int, hold: int | None = None) -> list[subprocess.Popen]:
    """``count`` workers on tmp_path/in -> tmp_path/out, started together."""
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=str(REPO_ROOT))
    go = tmp_path / 'go'
    workers, ready = [], []
    for k in range(count):
        ready.append(tmp_path / f'ready{k}')
        args = [str(TINY_CONFIG), json.dumps(TINY_OPTIONS), str(tmp_path / 'in')]
        args += [str(tmp_path / 'out'), str(ready[-1]), str(go), str(hold or '')]
        workers.append(
            subprocess.Popen(
                [sys.executable, '-c', WORKER, *args],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    deadline = time.monotonic() + 180
    while not all(r.exists() for r in ready):
        assert all(w.poll() is None for w in workers), [w.communicate() for w in workers]
        assert time.monotonic() < deadline, 'workers did not start'
        time.sleep(0.05)
    go.touch()
    return workers


def finish(workers: list[subprocess.Popen]) -> list[dict[str, str]]:
    """Each worker's outcomes, stem -> status."""
    outcomes = []
    for worker in workers:
        out, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err
        outcomes.append(dict(json.loads(out.strip().splitlines()[-1])))
    return outcomes


def leftovers(out: Path) -> list[str]:
    """Claims and temporary files: none may survive a run."""
    return sorted(
        str(p.relative_to(out))
        for p in out.rglob('*')
        if p.name.startswith('.') or 'claim' in p.name
    )


@pytest.mark.parametrize('count', [2, 3])
def test_workers_split_a_folder_and_do_each_image_once(tmp_path: Path, count: int):
    stems = write_images(tmp_path / 'in', 8 * count)
    outcomes = finish(start_workers(tmp_path, count))
    done = [stem for worker in outcomes for stem, status in worker.items() if status == 'done']
    assert sorted(done) == stems  # every image once, by exactly one worker
    for worker in outcomes:  # each saw every image: its own, or as another worker's
        assert sorted(worker) == stems and set(worker.values()) <= {'done', 'other', 'held'}
    assert all('done' in worker.values() for worker in outcomes), outcomes  # all took part
    out = tmp_path / 'out'
    assert sorted(p.stem for p in out.glob('*.png')) == stems
    assert sorted(p.stem for p in (out / 'records').glob('*.json')) == stems
    assert leftovers(out) == [] and not (out / 'claims').exists()
    writers = {json.loads((out / 'records' / f'{s}.json').read_text())['pid'] for s in stems}
    assert len(writers) == count


def test_claim_of_a_killed_worker_is_recovered_by_the_next(tmp_path: Path):
    stems = write_images(tmp_path / 'in', 4)
    (victim,) = start_workers(tmp_path, 1, hold=21)  # img00 is 21 pixels wide
    holding = tmp_path / 'ready0.holding'
    deadline = time.monotonic() + 120
    while not holding.exists():
        assert victim.poll() is None and time.monotonic() < deadline, victim.communicate()
        time.sleep(0.05)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    claim = tmp_path / 'out' / 'claims' / f'{short_name("img00")}.claim'
    assert json.loads(claim.read_text())['pid'] == victim.pid  # left behind by the kill
    # What a worker killed in the middle of writing its record would leave as well.
    (tmp_path / 'out' / 'records' / '.img00.json.k1ll3d_x.tmp').write_text('{"ima')
    (tmp_path / 'go').unlink()
    (rerun,) = finish(start_workers(tmp_path, 1))
    assert rerun['img00'] == 'done'
    out = tmp_path / 'out'
    assert sorted(p.stem for p in out.glob('*.png')) == stems
    assert json.loads((out / 'records' / 'img00.json').read_text())['stem'] == 'img00'
    assert leftovers(out) == [] and not (out / 'claims').exists()
