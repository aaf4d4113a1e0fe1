"""The region hierarchy's cost beside the labels it is built on, in one run: for each picture,
B (the default config) segments it from its file, then its hierarchy is built from the final
response, saved as a BSDS ``ucm2`` file, read back and cut to 10 regions, each timed on its own.

What a user pays for the hierarchy is ``build + save`` per photo (the folder tool does both for
every image); ``recut`` is what ``--regions K`` costs on a finished folder, per photo, without
starting the tool.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from pathlib import Path

import numpy as np

from dynaseg.apis import build_segmentor, image_to_tensor, load_config
from dynaseg.hierarchy import Cut, load_ucm2, save_hierarchy
from dynaseg.reports.provenance import REPO_ROOT, repo_relative
from dynaseg.utils.image_io import load_image

#: The per-picture columns, in seconds.
STEPS = ('segment', 'build', 'save', 'recut')
#: The re-cut timed: the region count of the README's example.
RECUT = Cut(regions=10)


def time_hierarchy(model, path: Path, folder: Path, device: str) -> dict[str, float]:
    """One picture's row: the seconds of each of :data:`STEPS`, and its leaf count."""
    start = time.perf_counter()
    image = image_to_tensor(load_image(path), model).to(device)
    labels, _, response = model.segment_keeping_response(image, None)
    built = time.perf_counter()
    tree = model.build_hierarchy(labels, image, response)
    saved = time.perf_counter()
    target = folder / f'{path.stem}.mat'
    save_hierarchy(target, tree)
    cut = time.perf_counter()
    RECUT.of_ucm2(load_ucm2(target))
    done = time.perf_counter()
    return dict(
        segment=built - start,
        build=saved - built,
        save=cut - saved,
        recut=done - cut,
        leaves=tree.num_leaves,
    )


def part_hierarchy(args, root: Path) -> dict:
    """B's hierarchy on the ``--image-ids`` test pictures: per-picture rows, their means and the
    slowest picture, and the hierarchy's cost as a fraction of the labels' (printed as a
    table)."""
    with contextlib.chdir(REPO_ROOT):
        model = build_segmentor(load_config(args.config), args.device)
    if model.hierarchy is None:
        raise SystemExit(f'{args.config} builds no hierarchy (its config sets no `hierarchy`)')
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for image_id in args.image_ids:
            path = root / 'images' / 'test' / f'{image_id}.jpg'
            rows.append(
                dict(image=image_id, **time_hierarchy(model, path, Path(folder), args.device))
            )
            print(f'[hierarchy] {image_id} done', flush=True)
    paid = np.array([r['build'] + r['save'] for r in rows])
    summary = dict(
        config=repo_relative(args.config),
        threads=args.threads,
        rows=rows,
        mean={step: float(np.mean([r[step] for r in rows])) for step in STEPS},
        build_and_save=dict(mean=float(paid.mean()), max=float(paid.max())),
        of_segment=float(paid.sum() / sum(r['segment'] for r in rows)),
    )
    print_hierarchy(summary, args)
    return summary


def print_hierarchy(summary: dict, args) -> None:
    """The table: one line per picture, then the means."""
    print(
        f'\n[hierarchy] {Path(summary["config"]).stem} on {len(summary["rows"])} test pictures, '
        f'{args.threads} thread(s), {args.device}; seconds per picture'
    )
    print(f'{"image":<10}' + ''.join(f'{s:>9}' for s in STEPS) + f'{"leaves":>8}')
    for row in summary['rows']:
        cells = ''.join(f'{row[s]:>9.3f}' for s in STEPS)
        print(f'{row["image"]:<10}{cells}{row["leaves"]:>8}')
    print(f'{"mean":<10}' + ''.join(f'{summary["mean"][s]:>9.3f}' for s in STEPS))
    paid = summary['build_and_save']
    print(
        f'build + save: {paid["mean"]:.3f} s mean, {paid["max"]:.3f} s on the slowest picture; '
        f'{summary["of_segment"]:.1%} of the time to labels'
    )
