"""dynaseg.cli: the options commands share are defined once and parse the same in every parser."""

from __future__ import annotations

import argparse

import pytest

from dynaseg.cli.evaluate import build_parser as build_dataset_parser
from dynaseg.cli.miou import build_parser as build_miou_parser
from dynaseg.cli.options import add_cfg_options, add_data_root, add_device_options, add_launcher
from dynaseg.cli.segment import build_parser as build_segment_parser
from dynaseg.cli.train_reference import build_parser as build_train_reference_parser

SEGMENT = ['--input_folder', 'in', '--output_folder', 'out']
DATASET = ['--config', 'c.py']
TRAIN = ['--config', 'c.py', '--train-folder', 't', '--out', 'o.pth']
MIOU = ['--results_dir', 'r', '--ground_truth_dir', 'g']


def parsers() -> dict[str, tuple[argparse.ArgumentParser, list[str]]]:
    return {
        'segment': (build_segment_parser(), SEGMENT),
        'dataset': (build_dataset_parser('score a dataset.'), DATASET),
        'train_reference': (build_train_reference_parser(), TRAIN),
        'miou': (build_miou_parser(), MIOU),
    }


def flags(parser: argparse.ArgumentParser) -> set[str]:
    return {flag for action in parser._actions for flag in action.option_strings}


@pytest.mark.parametrize('name', ['segment', 'dataset', 'train_reference'])
def test_device_threads_and_cfg_options_parse_alike(name: str):
    parser, required = parsers()[name]
    defaults = parser.parse_args(required)
    assert (defaults.device, defaults.threads, defaults.cfg_options) == ('cpu', None, {})
    args = parser.parse_args(
        [*required, '--device', 'cuda', '--threads', '3', '--cfg-options', 'a.b=1', 'c=[1,2]']
    )
    assert (args.device, args.threads) == ('cuda', 3)
    assert args.cfg_options == {'a.b': 1, 'c': [1, 2]}
    with pytest.raises(SystemExit):
        parser.parse_args([*required, '--device', 'tpu'])


@pytest.mark.parametrize('name', ['segment', 'dataset'])
def test_launcher_choices_are_the_distributed_launchers(name: str):
    parser, required = parsers()[name]
    assert parser.parse_args(required).launcher == 'none'
    assert parser.parse_args([*required, '--launcher', 'slurm']).launcher == 'slurm'
    with pytest.raises(SystemExit):
        parser.parse_args([*required, '--launcher', 'mpi'])


def test_each_command_has_exactly_the_shared_groups_it_uses():
    shared = {'--device', '--threads', '--launcher', '--cfg-options', '--data-root'}
    expected = {
        'segment': {'--device', '--threads', '--launcher', '--cfg-options'},
        'dataset': shared,
        'train_reference': {'--device', '--threads', '--cfg-options'},
        'miou': set(),
    }
    for name, (parser, _) in parsers().items():
        assert flags(parser) & shared == expected[name], name
    args = build_dataset_parser('x.').parse_args([*DATASET, '--data-root', 'data/voc'])
    assert args.data_root == 'data/voc'


def test_a_group_added_to_a_new_parser_behaves_like_everywhere_else():
    parser = argparse.ArgumentParser()
    add_device_options(parser)
    add_launcher(parser)
    add_cfg_options(parser, applied='last')
    add_data_root(parser)
    args = parser.parse_args(['--threads', '2', '--data-root', 'd', '--cfg-options', 'k=v'])
    assert vars(args) == {
        'device': 'cpu',
        'threads': 2,
        'launcher': 'none',
        'cfg_options': {'k': 'v'},
        'data_root': 'd',
    }
    cfg_help = next(a.help for a in parser._actions if a.dest == 'cfg_options')
    assert cfg_help.startswith('config overrides key=value, applied last;')
