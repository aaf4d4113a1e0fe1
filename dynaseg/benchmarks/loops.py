"""The loops the benchmark times: the authors' loop (A, and A' with the engine's allocator
setting) and the engine doing the same work (B), and the plain-loop iteration that is the unit
of the time-to-result target."""

from __future__ import annotations

import resource
from pathlib import Path

import numpy as np
import torch

from dynaseg.engine import DEFAULT_OPTIMIZER, EngineSettings, Schedule, optimize_image
from dynaseg.engine.allocator import keep_freed_memory, restore_default_malloc
from dynaseg.engine.authors_loop import authors_loop
from dynaseg.evaluation.functional import kim_image_scores
from dynaseg.models.backbones import DynaSegCNN
from dynaseg.models.losses import DynaSegLoss, SCFWeight
from dynaseg.utils.image_io import load_image

SGD = DEFAULT_OPTIMIZER


def load_tensor(path: Path, scale: float, device: str) -> torch.Tensor:
    """The image file at ``scale`` (area interpolation) as (1, 3, H, W) RGB in [0, 1]."""
    image = load_image(path)
    if scale != 1.0:
        import cv2

        h, w = image.shape[:2]
        image = cv2.resize(
            image, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA
        )
    return torch.from_numpy(image).permute(2, 0, 1).float()[None].to(device) / 255.0


_SCF = SCFWeight()


def scf_weight(q: int) -> float:
    """The authors' weight (SCF, mu / q) as the authors' loop calls it: a float of q."""
    return float(_SCF(q))


def run_authors_loop(x: torch.Tensor, iters: int, seed: int, min_labels: int = 3):
    """A: the authors' loop as their script runs it (glibc's allocator defaults)."""
    restore_default_malloc()
    return authors_loop(
        x, DynaSegCNN, scf_weight, max_iters=iters, min_labels=min_labels, seed=seed
    )


def run_authors_loop_kept_memory(x: torch.Tensor, iters: int, seed: int, min_labels: int = 3):
    """A's loop with the engine's allocator setting: separates memory from compute savings."""
    keep_freed_memory()
    return authors_loop(
        x, DynaSegCNN, scf_weight, max_iters=iters, min_labels=min_labels, seed=seed
    )


def run_engine_faithful(x: torch.Tensor, iters: int, seed: int, min_labels: int = 3):
    """B: the engine doing A's work (the authors' weighting, one stage, no patience)."""
    keep_freed_memory()
    return optimize_image(
        x,
        DynaSegCNN,
        DynaSegLoss(dict(type='SCFWeight')),
        SGD,
        EngineSettings(schedule=Schedule(max_iters=iters, min_labels=min_labels)),
        seed=seed,
    )


#: The loops timed iteration by iteration: (key, what it is, how it runs).
PER_ITER_LOOPS = (
    ('A', "authors' loop", run_authors_loop),
    ("A'", "authors' loop, freed memory kept", run_authors_loop_kept_memory),
    ('B', 'engine (same work)', run_engine_faithful),
)


def cpu_seconds() -> tuple[float, float]:
    """(user, system) CPU seconds of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime, usage.ru_stime


def best_match_agreement(x: np.ndarray, y: np.ndarray) -> float:
    """Mean best-match IoU of y's segments against x (1.0 = same partition)."""
    return float(np.mean(kim_image_scores(x, [y], relabel=False)))


def plain_iteration_seconds(x: torch.Tensor, args) -> float:
    """Seconds of one iteration of the plain mirror of the authors' loop (A: M=2, 100 channels,
    glibc's allocator) on the picture ``x`` (1, 3, H, W) at its size: the unit of the
    time-to-result target.

    Its steady state: a run of one iteration is subtracted from a run of 1 + ``probe_iters``,
    so building the network and first touching its buffers are not counted (they would make
    the unit larger and every config look faster in it)."""
    _, first = run_authors_loop(x, 1, args.seed, min_labels=0)
    _, record = run_authors_loop(x, 1 + args.probe_iters, args.seed, min_labels=0)
    return max(record.seconds - first.seconds, 1e-9) / args.probe_iters
