"""``tools/benchmark_batched.py``: batched per-image optimisation against one image at a time.

Without ``--tool``: small images, a fixed number of iterations, one-at-a-time against each
batch size (:mod:`.batched`)::

    python tools/benchmark_batched.py --images 16 --size 64 --iters 50 --batch-sizes 1 4 8

With ``--tool``: the tools' path on real images at full size, batch sizes and precisions,
written as JSON with ``--out`` (:mod:`.batched_full_size`; rows already in the JSON are kept, so
a rerun continues where a time limit stopped it)::

    python tools/benchmark_batched.py --tool --device cuda --out docs/benchmarks/x.json
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import torch
from mmengine.config import DictAction

from dynaseg.engine.precision import PRECISIONS
from dynaseg.reports.provenance import data_root

from .batched import compare_batch_sizes
from .batched_full_size import full_size_benchmark


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The flags of ``tools/benchmark_batched.py`` (see the module doc)."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument(
        '--data-root',
        default=str(data_root() / 'bsds500'),
        help='BSDS500 root with images/test; synthetic images when it is missing (default: '
        'bsds500/ under $DYNASEG_DATA_ROOT, else under data/ in the repository)',
    )
    p.add_argument(
        '--synthetic', action='store_true', help='use synthetic images even if data exists'
    )
    # --images is the image count in every tool; --num-images is the old spelling.
    p.add_argument('--images', '--num-images', dest='num_images', type=int, default=16)
    p.add_argument('--size', type=int, default=64, help='square crop side in pixels')
    p.add_argument('--iters', type=int, default=50, help='iterations per image')
    p.add_argument('--batch-sizes', type=int, nargs='+', default=[1, 4, 8])
    p.add_argument('--repeats', type=int, default=3)
    p.add_argument(
        '--threads', type=int, default=None, help='torch intra-op threads (default: as is)'
    )
    p.add_argument('--channels', type=int, default=100, help='p = q_max of DynaSegCNN')
    p.add_argument('--num-convs', type=int, default=2, help='M of DynaSegCNN')
    p.add_argument('--no-channels-last', action='store_true')
    p.add_argument('--device', default='cpu', choices=('cpu', 'cuda'))
    p.add_argument('--tool', action='store_true', help='real images through the tools (see above)')
    p.add_argument('--parts', nargs='+', default=['fast', 'faithful'], choices=['fast', 'faithful'])
    p.add_argument('--split', default='test', help='BSDS500 split of --tool')
    p.add_argument(
        '--headline-images', type=int, default=0, help='images of the headline run (0: all)'
    )
    p.add_argument(
        '--tool-batch-sizes', type=int, nargs='+', default=[8, 32, 64], help='--tool batch sizes'
    )
    p.add_argument('--precisions', nargs='+', default=['fp32', 'tf32', 'bf16'], choices=PRECISIONS)
    p.add_argument('--check-every', type=int, default=10, help='the fewer-syncs setting')
    p.add_argument('--compile', action='store_true', help='also time torch.compile (inductor)')
    p.add_argument('--faithful-iters', type=int, default=50)
    p.add_argument('--time-limit', type=float, default=0, help='seconds; 0: none')
    p.add_argument('--out', help='JSON of --tool (rows already there are kept)')
    p.add_argument(
        '--tool-options',
        nargs='+',
        action=DictAction,
        default={},
        help='config overrides key=value for every --tool run (e.g. smaller networks in tests)',
    )
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    """``tools/benchmark_batched.py``: the small-image comparison, or ``--tool``."""
    args = parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    if args.tool:
        full_size_benchmark(args)
    else:
        compare_batch_sizes(args)
