"""The parts that compare loops iteration by iteration: time per iteration (A, A', B), the
agreement of A's and B's labels for the same seed, and every config's extractor cost."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from dynaseg.apis import build_segmentor, load_config
from dynaseg.engine import EngineSettings, Schedule, optimize_image
from dynaseg.reports.provenance import REPO_ROOT as REPO
from dynaseg.utils.profiling import median

from .loops import (
    PER_ITER_LOOPS,
    best_match_agreement,
    cpu_seconds,
    load_tensor,
    run_authors_loop,
    run_engine_faithful,
)


def part_per_iter(args, image_path: Path) -> dict:
    """A, A' and B timed per iteration on the same work, interleaved, medians over repeats."""
    x = load_tensor(image_path, args.per_iter_scale, args.device)
    n = args.per_iter_iters
    wall: dict[str, list[float]] = {key: [] for key, _, _ in PER_ITER_LOOPS}
    cpu: dict[str, list[tuple[float, float]]] = {key: [] for key, _, _ in PER_ITER_LOOPS}
    for _ in range(args.repeats):
        for key, _, run in PER_ITER_LOOPS:  # interleaved: drift in machine load hits all
            before = cpu_seconds()
            # min_labels=0: every loop does exactly n iterations of the same work.
            _, record = run(x, n, args.seed, min_labels=0)
            after = cpu_seconds()
            wall[key].append(record.seconds / n)
            cpu[key].append(((after[0] - before[0]) / n, (after[1] - before[1]) / n))
    print(
        f'\n[per-iter] {image_path.stem} {tuple(x.shape[-2:])}, M=2, 100 channels, {n} iterations '
        f'x {args.repeats} repeats, {args.threads} threads (user/sys: CPU seconds per iteration, '
        'all threads)'
    )
    print(
        f'{"loop":<36}{"s/iter (median)":>16}{"user":>8}{"sys":>8}{"A / loop":>10}{"all runs":>26}'
    )
    authors = median(wall['A'])
    out: dict = dict(image=image_path.stem, size=list(x.shape[-2:]), iterations=n)
    for key, name, _ in PER_ITER_LOOPS:
        seconds = median(wall[key])
        user = median([u for u, _ in cpu[key]])
        system = median([s for _, s in cpu[key]])
        runs = str([round(t, 3) for t in wall[key]])
        print(
            f'{key + " " + name:<36}{seconds:>16.4f}{user:>8.2f}{system:>8.2f}'
            f'{authors / seconds:>9.2f}x{runs:>26}'
        )
        out[key] = dict(s_per_iter=seconds, user_s=user, sys_s=system, runs=wall[key])
    out['ratio'] = median(wall['B']) / authors
    print(f'ratio B/A = {out["ratio"]:.3f}  (speed-up {1 / out["ratio"]:.2f}x)')
    return out


def part_agreement(args, image_path: Path) -> dict:
    """A vs B with the same seed, and A vs A with one thread (the floating-point noise floor),
    after each of ``--agreement-iters`` iterations (every count is a run from the same init)."""
    x = load_tensor(image_path, args.scale, args.device)
    threads = torch.get_num_threads()
    rows = []
    print(
        f'\n[agreement] {image_path.stem} at scale {args.scale}, same seed; best-match IoU '
        f'(pixels equal) of B and of A with 1 thread against A with {threads}'
    )
    print(f'{"iterations":>10}{"A vs B":>22}{"A vs A, 1 thread":>24}')
    for n in args.agreement_iters:
        la, _ = run_authors_loop(x, n, args.seed, min_labels=0)
        lb, _ = run_engine_faithful(x, n, args.seed, min_labels=0)
        torch.set_num_threads(1)
        la1, _ = run_authors_loop(x, n, args.seed, min_labels=0)
        torch.set_num_threads(threads)
        row = dict(
            iterations=n,
            a_vs_b=best_match_agreement(la, lb),
            a_vs_a_1thread=best_match_agreement(la, la1),
            pixels_equal_a_b=float((la == lb).mean()),
            pixels_equal_a_a1=float((la == la1).mean()),
        )
        rows.append(row)
        print(
            f'{n:>10}{row["a_vs_b"]:>13.4f} ({row["pixels_equal_a_b"]:.3f})'
            f'{row["a_vs_a_1thread"]:>15.4f} ({row["pixels_equal_a_a1"]:.3f})',
            flush=True,
        )
    return dict(image=image_path.stem, scale=args.scale, rows=rows)


def part_configs(args, image_path: Path) -> dict:
    """Parameter count and time of one iteration at the image's size, for every config.

    Configs that share an extractor share one measurement (the weighting does not change
    the cost of an iteration).
    """
    from dynaseg.models.backbones import count_parameters

    x = load_tensor(image_path, 1.0, args.device)
    n = args.per_iter_iters
    measured: dict[str, tuple[int, float]] = {}
    results = {}
    print(
        f'\n[configs] one iteration on {image_path.stem} {tuple(x.shape[-2:])}, median of '
        f'{args.repeats} runs of {n} iterations, {args.threads} threads'
    )
    print(f'{"config":<52}{"params":>10}{"s/iter":>9}')
    for path in sorted((REPO / 'configs').rglob('*.py')):
        if '_base_' in path.parts:
            continue
        model = build_segmentor(load_config(path), args.device)
        key = json.dumps(model.backbone_cfg, sort_keys=True, default=str)
        if key not in measured:
            times = []
            for _ in range(args.repeats):
                _, rec = optimize_image(
                    x,
                    model.build_extractor,
                    model.loss_fn,
                    model.optimizer_cfg,
                    EngineSettings(schedule=Schedule(max_iters=n, min_labels=0)),
                    seed=args.seed,
                )
                times.append(rec.seconds / n)
            measured[key] = (count_parameters(model.build_extractor()), median(times))
        params, seconds = measured[key]
        results[path.stem] = dict(params=params, s_per_iter=seconds)
        print(f'{path.stem:<52}{params:>10,}{seconds:>9.3f}', flush=True)
    return results
