"""Multi-process runs: start torch.distributed from a launcher's environment, split work by rank.

``mmengine.dist.init_dist`` calls ``torch.cuda.set_device`` unconditionally, which fails on a
CPU-only torch; :func:`init_distributed` starts the process group itself (gloo on CPU, nccl on
CUDA) from the variables ``torchrun`` or ``srun`` set. Afterwards ``mmengine.dist`` helpers
(``get_rank``, ``all_gather_object``, ``collect_results(device='cpu')``) work as usual.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

import torch
import torch.distributed as torch_dist

__all__ = ['LAUNCHERS', 'DistInfo', 'finalize_distributed', 'init_distributed', 'shard']

#: Values of the tools' ``--launcher`` flag.
LAUNCHERS = ('none', 'pytorch', 'slurm')

_T = TypeVar('_T')


@dataclass(frozen=True)
class DistInfo:
    """Where this process stands in the run: ``rank`` of ``world_size``, GPU ``local_rank``."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def _slurm_to_torch_env() -> None:
    """Translate srun's variables into the ones ``init_process_group('env://')`` reads."""
    try:
        proc_id = int(os.environ['SLURM_PROCID'])
        ntasks = int(os.environ['SLURM_NTASKS'])
    except KeyError as err:
        raise RuntimeError(
            f'--launcher slurm needs {err.args[0]} in the environment; '
            'start the tool with srun (tools/slurm_segment.sh)'
        ) from None
    os.environ['RANK'] = str(proc_id)
    os.environ['WORLD_SIZE'] = str(ntasks)
    os.environ['LOCAL_RANK'] = os.environ.get('SLURM_LOCALID', '0')
    os.environ.setdefault('MASTER_PORT', '29500')  # torch.distributed's default port
    if 'MASTER_ADDR' not in os.environ:
        node_list = os.environ.get('SLURM_NODELIST') or os.environ.get('SLURM_JOB_NODELIST')
        if not node_list:
            raise RuntimeError('--launcher slurm needs MASTER_ADDR or SLURM_NODELIST')
        # The first host of the allocation serves the rendezvous, as in mmengine.
        hosts = subprocess.run(
            ['scontrol', 'show', 'hostnames', node_list], check=True, capture_output=True, text=True
        ).stdout.split()
        os.environ['MASTER_ADDR'] = hosts[0]


def init_distributed(launcher: str = 'none', device: str = 'cpu') -> DistInfo:
    """Join the process group of a ``torchrun`` (``'pytorch'``) or ``srun`` (``'slurm'``) run.

    Args:
        launcher: ``'none'`` (one process, nothing started), ``'pytorch'`` or ``'slurm'``.
        device: ``'cpu'`` -> gloo backend; ``'cuda'`` -> nccl, and this process uses the GPU
            of its ``LOCAL_RANK``.

    Returns:
        This process's :class:`DistInfo`. Calling it again in an initialised process returns
        the existing group's rank and size.
    """
    if launcher not in LAUNCHERS:
        raise ValueError(f'launcher must be one of {LAUNCHERS}, got {launcher!r}')
    if launcher == 'none':
        return DistInfo()
    if launcher == 'slurm':
        _slurm_to_torch_env()
    elif 'RANK' not in os.environ or 'WORLD_SIZE' not in os.environ:
        raise RuntimeError(
            '--launcher pytorch needs RANK and WORLD_SIZE in the environment; '
            'start the tool with torchrun (tools/dist_segment.sh)'
        )
    local_rank = int(os.environ.get('LOCAL_RANK', '0'))
    use_cuda = device.startswith('cuda')
    if not torch_dist.is_initialized():
        if use_cuda:
            torch.cuda.set_device(local_rank)
        torch_dist.init_process_group(backend='nccl' if use_cuda else 'gloo')
    return DistInfo(
        rank=torch_dist.get_rank(), world_size=torch_dist.get_world_size(), local_rank=local_rank
    )


def finalize_distributed() -> None:
    """Leave the process group, if one was started (torch warns at exit otherwise)."""
    if torch_dist.is_available() and torch_dist.is_initialized():
        torch_dist.destroy_process_group()


def shard(items: Sequence[_T], rank: int, world_size: int) -> list[_T]:
    """This rank's share of ``items``: every ``world_size``-th item from position ``rank``.

    Interleaving (rather than contiguous blocks) keeps the shares balanced when the list is
    sorted by name and image sizes vary along it; every item lands in exactly one share.
    """
    if world_size < 1 or not 0 <= rank < world_size:
        raise ValueError(f'invalid rank {rank} of world size {world_size}')
    return list(items[rank::world_size])
