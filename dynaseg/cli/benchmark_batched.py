"""Batched per-image optimisation against one image at a time.

Without ``--tool``: small images, a fixed number of iterations, one-at-a-time against each
batch size (:mod:`dynaseg.benchmarks.batched`)::

    python tools/benchmark_batched.py --images 16 --size 64 --iters 50 --batch-sizes 1 4 8

With ``--tool``: the tools' path on real images at full size, batch sizes and precisions,
written as JSON with ``--out`` (:mod:`dynaseg.benchmarks.batched_full_size`; rows already in
the JSON are kept, so a rerun continues where a time limit stopped it)::

    python tools/benchmark_batched.py --tool --device cuda --out docs/benchmarks/x.json
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from mmengine.config import DictAction

from dynaseg.engine.precision import PRECISIONS

from .options import add_data_root, add_device_options, add_flag, add_split


def build_parser() -> argparse.ArgumentParser:
    """The flags of ``tools/benchmark_batched.py`` (see the module doc)."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    add_data_root(p)  # synthetic images when its bsds500/images/<split> is missing
    p.add_argument(
        '--synthetic', action='store_true', help='use synthetic images even if data exists'
    )
    # --images is the image count in every tool; --num-images is the old spelling.
    add_flag(p, 'images', '--num-images', type=int, default=16, metavar='N')
    p.add_argument('--size', type=int, default=64, help='square crop side in pixels')
    p.add_argument('--iters', type=int, default=50, help='iterations per image')
    add_flag(p, 'batch-sizes', type=int, nargs='+', default=[1, 4, 8])
    p.add_argument('--repeats', type=int, default=3)
    p.add_argument('--channels', type=int, default=100, help='p = q_max of DynaSegCNN')
    add_flag(p, 'num-convs', type=int, default=2, help='M of DynaSegCNN')
    add_flag(p, 'no-channels-last', action='store_true')
    add_device_options(p)
    p.add_argument('--tool', action='store_true', help='real images through the tools (see above)')
    p.add_argument('--parts', nargs='+', default=['fast', 'faithful'], choices=['fast', 'faithful'])
    add_split(p, default='test')  # of --tool
    add_flag(p, 'headline-images', type=int, default=0, help='images of the headline run (0: all)')
    add_flag(
        p, 'tool-batch-sizes', type=int, nargs='+', default=[8, 32, 64], help='--tool batch sizes'
    )
    p.add_argument('--precisions', nargs='+', default=['fp32', 'tf32', 'bf16'], choices=PRECISIONS)
    add_flag(p, 'check-every', type=int, default=10, help='the fewer-syncs setting')
    p.add_argument('--compile', action='store_true', help='also time torch.compile (inductor)')
    add_flag(p, 'faithful-iters', type=int, default=50)
    add_flag(p, 'time-limit', type=float, default=0, help='seconds; 0: none')
    p.add_argument('--out', help='JSON of --tool (rows already there are kept)')
    add_flag(
        p,
        'tool-options',
        nargs='+',
        action=DictAction,
        default={},
        help='config overrides key=value for every --tool run (e.g. smaller networks in tests)',
    )
    return p


def main(argv: Sequence[str] | None = None) -> None:
    """``tools/benchmark_batched.py``: the small-image comparison, or ``--tool``."""
    import torch

    from dynaseg.apis.dataset_runner import dataset_folder
    from dynaseg.benchmarks.batched import compare_batch_sizes
    from dynaseg.benchmarks.batched_full_size import full_size_benchmark
    from dynaseg.reports.provenance import data_root

    args = build_parser().parse_args(argv)
    # The parts read the BSDS500 folder itself: --data-root may name it or the folder above.
    args.data_root = str(dataset_folder(args.data_root or data_root(), 'bsds500'))
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    if args.tool:
        full_size_benchmark(args)
    else:
        compare_batch_sizes(args)
