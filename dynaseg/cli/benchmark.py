"""DynaSeg's engine (B) against a plain mirror of the authors' loop (A).

Parts, each printed as a table (and all saved with --out):

* ``per-iter``: the same work — M=2, 100 channels, the first image at ``--per-iter-scale``,
  SGD — timed per iteration,
  A and B interleaved, medians over repeats; ratio B/A. A' (A's loop with the engine's malloc
  setting) separates what B saves in page faults (A's system time) from what it saves in
  compute (user time).
* ``whole``: time to a finished image. A = the authors' settings (1000 iterations or q <= 3,
  run at ``--scale`` to stay affordable); B = the default config (``DEFAULT_CONFIG``). Both are
  scored with Kim's best-match mIoU (mode 1) against BSDS500 ground truth at full resolution.
  A's label maps are cached in ``--cache`` so B variants can be rescored without rerunning A.
  Beside B, the ``--modes`` configs (default: the warm start and the one pass) run
  on the same images with the same threads; a second table gives each of them and B the time
  to result end to end (image file decoded, segmented, labels on the host; model built once
  before) and Kim's pooled mIoU in the three modes (all / fine / coarse).
* ``memory``: peak resident memory of B on a 321x481 image and on a 12-megapixel photo,
  each in a fresh subprocess (and peak GPU memory with ``--device cuda``).
* ``agreement``: A's and B's label maps for the same seed after ``--agreement-iters``
  iterations, next to A against itself on one thread (the floating-point noise floor).
* ``authors-cache``: only compute and store A's whole-image runs (resumable; ``reference-cache``
  is its old spelling).
* ``time-to-result``: the whole part's second table alone (B and the ``--modes`` configs,
  interleaved per image, no A): e.g. the default against the authors' settings, a warm start
  or the classical baselines. Each picture's time is also counted in iterations of the plain
  loop (A, ``--probe-iters`` of them timed on that picture just before), the unit of the speed
  target; ``--picture-pixels N`` times copies scaled down to at most N pixels.
* ``configs``: parameters and time per iteration of every config's extractor.
* ``hierarchy``: B's region hierarchy beside its labels, per picture: segment, build from the
  final response, save as ucm2, read back and cut to 10 regions
  (:mod:`dynaseg.benchmarks.hierarchy`).

Example (the numbers in the README; docs/benchmarks/ holds its JSON):
    python tools/benchmark.py --parts per-iter agreement whole memory \
        --per-iter-iters 10 --repeats 3 --threads 2 --out work_dirs/benchmark_final.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence

from dynaseg.apis import DEFAULT_CONFIG as DEFAULT_CONFIG_PATH
from dynaseg.reports.provenance import REPO_ROOT as REPO

from .options import add_data_root, add_device_options, add_flag

# B: the tools' default config, as a path inside the repository (wherever dynaseg is imported from).
DEFAULT_CONFIG = DEFAULT_CONFIG_PATH.relative_to(DEFAULT_CONFIG_PATH.parents[2]).as_posix()


# Ten BSDS500 test images, the first ten ids in sorted order (no selection on results).
DEFAULT_IMAGES = [
    '100007',
    '100039',
    '100099',
    '10081',
    '101027',
    '101084',
    '102062',
    '103006',
    '103029',
    '103078',
]
#: Old spellings of ``--parts`` values, still accepted: the authors' loop was "the reference".
OLD_PARTS = {'reference-cache': 'authors-cache'}
#: Timed beside B in the whole part: warm-started per-image optimisation and one
#: forward pass per image, both from the network trained once over BSDS500 train.
MODE_CONFIGS = (
    'configs/dynaseg/dynaseg-fsf_cnn-m2_warm-start_bsds500.py',
    'configs/dynaseg/dynaseg-fsf_cnn-m2_one-pass_bsds500.py',
)


def build_parser() -> argparse.ArgumentParser:
    """The flags of ``tools/benchmark.py`` (see the module doc)."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    add_data_root(p)
    # A list of ids is --image-ids in every tool (--images is a count there).
    add_flag(p, 'image-ids', nargs='+', default=DEFAULT_IMAGES, help='BSDS500 test ids')
    p.add_argument(
        '--parts',
        nargs='+',
        default=['per-iter', 'whole', 'memory'],
        choices=[
            'per-iter',
            'whole',
            'time-to-result',
            'memory',
            'agreement',
            'authors-cache',
            *OLD_PARTS,
            'configs',
            'hierarchy',
        ],
        help='authors-cache: only compute and store A for the whole part; time-to-result: '
        "the whole part's second table alone (B and --modes, no A)",
    )
    p.add_argument(
        '--config',
        default=str(REPO / DEFAULT_CONFIG),
        help=f'config of B in the whole-image part (default: {DEFAULT_CONFIG})',
    )
    p.add_argument(
        '--modes',
        nargs='*',
        default=[str(REPO / c) for c in MODE_CONFIGS],
        help='configs timed beside B in the whole part, end to end on the same images and '
        'threads (default: the warm start and the one pass; none: B only)',
    )
    p.add_argument('--scale', type=float, default=0.5, help="A's resolution in the whole part")
    add_flag(
        p,
        'picture-pixels',
        type=int,
        default=None,
        metavar='N',
        help='time-to-result: time copies of the test images scaled down to at most N pixels '
        '(scored against the full-size ground truth); default: the images as they are',
    )
    add_flag(
        p,
        'probe-iters',
        type=int,
        default=3,
        metavar='N',
        help='time-to-result: iterations of the plain loop timed on each picture, the unit of '
        "the 'plain it.' column (default 3)",
    )
    add_flag(p, 'max-iters', type=int, default=1000, help="A's iteration budget")
    add_flag(p, 'per-iter-iters', type=int, default=10, help='iterations per timed run')
    add_flag(
        p,
        'per-iter-scale',
        type=float,
        default=1.0,
        help='image size in the per-iter part, relative to the first image (321x481 for 100007)',
    )
    add_flag(
        p,
        'agreement-iters',
        type=int,
        nargs='+',
        default=[10, 30, 100],
        help='iteration counts at which A and B (same seed) are compared',
    )
    p.add_argument('--repeats', type=int, default=3)
    add_device_options(p)  # every part runs there; --threads: default torch's
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--cache', default=str(REPO / 'work_dirs' / 'benchmark_cache'))
    p.add_argument('--out', default=None, help='write all results as JSON here')
    return p


def main(argv: Sequence[str] | None = None) -> None:
    """``tools/benchmark.py``: run the ``--parts`` asked for, in a fixed order; save ``--out``."""
    import torch

    from dynaseg.apis.dataset_runner import dataset_folder
    from dynaseg.benchmarks.hierarchy import part_hierarchy
    from dynaseg.benchmarks.memory import part_memory
    from dynaseg.benchmarks.per_iteration import part_agreement, part_configs, part_per_iter
    from dynaseg.benchmarks.time_to_result import part_time_to_result
    from dynaseg.benchmarks.whole import part_authors_cache, part_whole
    from dynaseg.reports.provenance import data_root
    from dynaseg.utils.fileio import save_text

    args = build_parser().parse_args(argv)
    args.parts = [OLD_PARTS.get(part, part) for part in args.parts]
    args.threads = args.threads or torch.get_num_threads()
    torch.set_num_threads(args.threads)
    root = dataset_folder(args.data_root or data_root(), 'bsds500')
    if not (root / 'images' / 'test').is_dir():
        sys.exit(
            f'BSDS500 not found under {root} (expected images/test/ and groundTruth/test/); '
            'pass --data-root, or set DYNASEG_DATA_ROOT to the folder holding bsds500/'
        )
    results: dict = dict(
        threads=args.threads,
        device=args.device,
        torch=torch.__version__,
        started=time.strftime('%Y-%m-%d %H:%M:%S'),
    )
    first = root / 'images' / 'test' / f'{args.image_ids[0]}.jpg'
    if 'per-iter' in args.parts:
        results['per_iter'] = part_per_iter(args, first)
    if 'configs' in args.parts:
        results['configs'] = part_configs(args, first)
    if 'agreement' in args.parts:
        results['agreement'] = part_agreement(args, first)
    if 'authors-cache' in args.parts:
        part_authors_cache(args, root)
    if 'whole' in args.parts:
        results['whole'] = part_whole(args, root)
    if 'time-to-result' in args.parts:
        results['time_to_result'] = part_time_to_result(args, root)
    if 'memory' in args.parts:
        results['memory'] = part_memory(args)
    if 'hierarchy' in args.parts:
        results['hierarchy'] = part_hierarchy(args, root)
    if args.out:
        save_text(args.out, json.dumps(results, indent=2))
        print(f'\nresults written to {args.out}')
