"""The results report's figures, drawn from the label maps and records its BSDS500 runs wrote."""

from __future__ import annotations

import argparse
from pathlib import Path

from dynaseg.apis.layout import DatasetLayout
from dynaseg.apis.records import load_record

from .runs import run_dataset, run_work_dir


def draw_figures(
    args: argparse.Namespace, assets: Path, n_images: int = 3, max_side: int = 240
) -> list[Path]:
    """The qualitative grid and the label-count / loss plot of the spec's ``figure_runs``.

    The images are the first ``n_images`` of the subset that every figure run segmented (no
    choice by result); panels are shrunk to ``max_side`` pixels to keep the PNG small.
    """
    import cv2
    import numpy as np
    from PIL import Image

    from dynaseg.evaluation.functional import read_label_map
    from dynaseg.visualization import colorize_labels, make_grid, plot_history

    by_name = {run.name: run for run in args.spec.runs}
    figure_runs = [(title, by_name[name]) for title, name in args.spec.figure_runs]
    dataset = run_dataset(figure_runs[0][1], args.data_root)
    samples = {sample['img_id']: sample for sample in dataset.list_samples()}
    listed = list(samples)
    subset = dataset.report_subset(args.images, args.image_ids, Path(args.work_dir), False)
    layouts = {t: DatasetLayout(run_work_dir(run, subset, args)) for t, run in figure_runs}
    in_subset = args.image_ids or (listed[: args.images] if args.images > 0 else listed)
    ids = [
        i
        for i in listed
        if i in in_subset
        and all(lay.pred(i).is_file() and lay.record(i).is_file() for lay in layouts.values())
    ]
    if not ids:
        print('figures: no image segmented by all of ' + ', '.join(r.name for _, r in figure_runs))
        return []

    def shrink(panel: np.ndarray, nearest: bool) -> np.ndarray:
        scale = max_side / max(panel.shape[:2])
        size = (round(panel.shape[1] * scale), round(panel.shape[0] * scale))
        mode = cv2.INTER_NEAREST if nearest else cv2.INTER_AREA
        return cv2.resize(panel, size, interpolation=mode)

    grid_rows = []
    for img_id in ids[:n_images]:
        with Image.open(samples[img_id]['img_path']) as jpeg:
            image = np.asarray(jpeg.convert('RGB'))
        panels = [shrink(image, False)]
        panels += [
            shrink(colorize_labels(read_label_map(layouts[t].pred(img_id))), True)
            for t, _ in figure_runs
        ]
        panels.append(shrink(colorize_labels(dataset.load_ground_truth(samples[img_id])[0]), True))
        grid_rows.append(panels)
    assets.mkdir(parents=True, exist_ok=True)
    titles = ['image', *[t for t, _ in figure_runs], 'ground truth (annotator 1)']
    grid = make_grid(grid_rows, titles=titles)
    qualitative = assets / 'qualitative_bsds500.png'
    cv2.imwrite(
        str(qualitative), cv2.cvtColor(grid, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_PNG_COMPRESSION, 9]
    )
    curves = assets / 'label_count_loss.png'
    img_id = ids[0]
    history = {t: load_record(layouts[t].record(img_id)) for t, _ in figure_runs}
    plot_history(history, curves, title=f'BSDS500 test {img_id}: coarse stage of the fast schedule')
    return [qualitative, curves]
