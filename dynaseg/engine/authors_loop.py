"""The authors' loop: a plain mirror of their BSD/VOC script, kept for benchmarks and tests.

Deliberately unoptimised: the response is permuted to (H*W, C), L_sim uses
``nn.CrossEntropyLoss`` on an argmax target, L_con uses ``nn.L1Loss`` against zero
tensors, and the label count is computed on the host with ``np.unique`` every
iteration — exactly the work the published script does.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import torch
from torch import Tensor, nn

from .record import OptimizationRecord


def authors_loop(
    image: Tensor,
    extractor_factory: Callable[[], nn.Module],
    weight: Callable[[int], float],
    *,
    max_iters: int = 1000,
    min_labels: int = 3,
    lr: float = 0.1,
    momentum: float = 0.9,
    seed: int = 0,
) -> tuple[np.ndarray, OptimizationRecord]:
    """Run the authors' loop on ``image`` (1, 3, H, W); returns labels (H, W) and a record."""
    start = time.perf_counter()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = extractor_factory()
    model = model.to(image.device).train()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    loss_fn = nn.CrossEntropyLoss()
    loss_hpy, loss_hpz = nn.L1Loss(), nn.L1Loss()
    _, channels, height, width = model(image).shape
    hpy_target = torch.zeros(height - 1, width, channels, device=image.device)
    hpz_target = torch.zeros(height, width - 1, channels, device=image.device)
    record = OptimizationRecord(stage_sizes=[(height, width)])
    for _ in range(max_iters):
        optimizer.zero_grad()
        output = model(image)[0]
        output = output.permute(1, 2, 0).contiguous().view(-1, channels)
        output_hp = output.reshape((height, width, channels))
        hpy = output_hp[1:, :, :] - output_hp[0:-1, :, :]
        hpz = output_hp[:, 1:, :] - output_hp[:, 0:-1, :]
        lhpy = loss_hpy(hpy, hpy_target)
        lhpz = loss_hpz(hpz, hpz_target)
        _, target = torch.max(output, 1)
        n_labels = len(np.unique(target.data.cpu().numpy()))
        loss = loss_fn(output, target) + weight(n_labels) * (lhpy + lhpz)
        loss.backward()
        optimizer.step()
        record.label_counts.append(n_labels)
        record.losses.append(loss.item())
        record.iterations += 1
        if n_labels <= min_labels:
            record.stop_reason = 'min_labels'
            break
    else:
        record.stop_reason = 'max_iters'
    record.stage_iterations.append(record.iterations)
    with torch.no_grad():
        labels = model(image)[0].argmax(0)
    record.seconds = time.perf_counter() - start
    return labels.cpu().numpy(), record
