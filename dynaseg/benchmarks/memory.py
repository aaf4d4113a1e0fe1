"""The memory part: peak memory of the default config on a small and a 12-megapixel picture."""

from __future__ import annotations

import os
import subprocess
import sys

#: The child process of one measurement: a synthetic smooth picture, segmented once.
MEMORY_CHILD = """
import numpy as np, torch
from dynaseg.apis import segment_image
from dynaseg.utils.profiling import peak_rss_bytes
torch.set_num_threads({threads})
h, w = {h}, {w}
rng = np.random.default_rng(0)
small = rng.integers(0, 255, (max(h // 64, 2), max(w // 64, 2), 3)).astype(np.float32)
import cv2
image = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR).astype(np.uint8)
device = {device!r}
result = segment_image(image, {config!r}, device=device, **{{'model.schedule.max_iters': {iters}}})
assert result.labels.shape == (h, w)
gpu = torch.cuda.max_memory_allocated() if device.startswith('cuda') else 0
print('PEAK_RSS_BYTES', peak_rss_bytes(), result.record.seconds, gpu)
"""


def part_memory(args) -> dict:
    """B's peak resident memory (and GPU memory) on a 321x481 picture and a 12-megapixel
    photo, each in a fresh subprocess so neither inherits the other's peak."""
    results = {}
    print(
        f'\n[memory] B (default config) on {args.device}, fresh subprocess per size, '
        'peak resident memory (and peak GPU memory allocated by torch)'
    )
    for name, (h, w) in {'321x481': (321, 481), '12MP (3000x4000)': (3000, 4000)}.items():
        code = MEMORY_CHILD.format(
            threads=args.threads, h=h, w=w, config=args.config, iters=60, device=args.device
        )
        out = subprocess.run(
            [sys.executable, '-c', code],
            capture_output=True,
            text=True,
            check=True,
            env=dict(os.environ),
        )
        line = next(x for x in out.stdout.splitlines() if x.startswith('PEAK_RSS_BYTES'))
        _, rss, seconds, gpu = line.split()
        mb, gpu_mb = int(rss) / 2**20, int(gpu) / 2**20
        results[name] = dict(peak_rss_mb=mb, peak_gpu_mb=gpu_mb, seconds=float(seconds))
        on_gpu = f', GPU {gpu_mb:6.0f} MB' if args.device.startswith('cuda') else ''
        print(
            f'  {name:<18} peak RSS {mb:8.0f} MB{on_gpu} ({float(seconds):.1f} s, '
            '<= 60 coarse iterations)'
        )
    return results
