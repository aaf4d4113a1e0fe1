"""dynaseg.utils.dist: launcher environments and sharding."""

from __future__ import annotations

import os

import pytest

from dynaseg.utils.dist import DistInfo, init_distributed, shard


def test_shard_gives_every_item_to_exactly_one_rank():
    items = list(range(11))
    shares = [shard(items, rank, 3) for rank in range(3)]
    assert sorted(i for share in shares for i in share) == items
    assert [len(s) for s in shares] == [4, 4, 3]
    assert shares[1] == [1, 4, 7, 10]


def test_shard_with_more_ranks_than_items():
    assert [shard(['a'], rank, 3) for rank in range(3)] == [['a'], [], []]


@pytest.mark.parametrize('rank,world_size', [(2, 2), (-1, 2), (0, 0)])
def test_shard_rejects_invalid_rank(rank, world_size):
    with pytest.raises(ValueError, match='invalid rank'):
        shard([1, 2], rank, world_size)


def test_launcher_none_is_single_process():
    info = init_distributed('none')
    assert info == DistInfo(rank=0, world_size=1, local_rank=0) and info.is_main


def test_unknown_launcher_rejected():
    with pytest.raises(ValueError, match='launcher must be one of'):
        init_distributed('mpi')


def test_pytorch_launcher_outside_torchrun_is_a_clear_error(monkeypatch):
    monkeypatch.delenv('RANK', raising=False)
    monkeypatch.delenv('WORLD_SIZE', raising=False)
    with pytest.raises(RuntimeError, match='start the tool with torchrun'):
        init_distributed('pytorch')


def test_slurm_launcher_outside_srun_is_a_clear_error(monkeypatch):
    monkeypatch.delenv('SLURM_PROCID', raising=False)
    with pytest.raises(RuntimeError, match='needs SLURM_PROCID'):
        init_distributed('slurm')


def test_slurm_variables_become_torch_rendezvous_variables(monkeypatch):
    """srun's task variables are mapped onto RANK/WORLD_SIZE/LOCAL_RANK for env:// init."""
    from dynaseg.utils import dist

    for key, value in {
        'SLURM_PROCID': '5',
        'SLURM_NTASKS': '8',
        'SLURM_LOCALID': '1',
        'MASTER_ADDR': 'node7',
    }.items():
        monkeypatch.setenv(key, value)
    for key in ('RANK', 'WORLD_SIZE', 'LOCAL_RANK', 'MASTER_PORT'):
        monkeypatch.delenv(key, raising=False)
    dist._slurm_to_torch_env()
    assert (os.environ['RANK'], os.environ['WORLD_SIZE'], os.environ['LOCAL_RANK']) == (
        '5',
        '8',
        '1',
    )
    assert os.environ['MASTER_ADDR'] == 'node7' and os.environ['MASTER_PORT'] == '29500'
