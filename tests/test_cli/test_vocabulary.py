"""One vocabulary across the tools: an option spelt the same way parses the same everywhere,
underscore spellings and the authors' flags are aliases, configs resolve by name, and help
texts name the real defaults."""

from __future__ import annotations

import argparse
import importlib
import re
from pathlib import Path
from types import ModuleType

import pytest
import torch

from dynaseg.apis.inference import DEFAULT_CONFIG, list_configs, resolve_config
from dynaseg.apis.overrides import KEYWORDS
from dynaseg.cli.evaluate import build_parser as build_dataset_parser
from dynaseg.cli.miou import build_parser as build_miou_parser
from dynaseg.cli.options import busy_cpu_note, torch_threads
from dynaseg.cli.segment import build_parser as build_segment_parser
from dynaseg.cli.train_reference import build_parser as build_train_reference_parser

REPO_ROOT = Path(__file__).resolve().parents[2]


def command(name: str) -> ModuleType:
    return importlib.import_module(f'dynaseg.cli.{name}')


#: Every command's parser, with the arguments it requires.
PARSERS = {
    'segment': (build_segment_parser, ['--input-folder', 'in', '--work-dir', 'out']),
    'evaluate': (lambda: build_dataset_parser('Score.', DEFAULT_CONFIG), []),
    'coco': (lambda: build_dataset_parser('COCO.', 'coco-config'), []),
    'train_reference': (
        build_train_reference_parser,
        ['--config', 'c.py', '--train-folder', 't', '--out', 'o.pth'],
    ),
    'miou': (build_miou_parser, ['--results-dir', 'r', '--ground-truth-dir', 'g']),
    'demo': (lambda: command('demo').build_parser(), ['--work-dir', 'out']),
    'scribble_figure': (
        lambda: command('scribble_figure').build_parser(),
        ['--image', 'i.png', '--scribble', 's.png', '--out', 'f.png'],
    ),
    'refine_predictions': (
        lambda: command('refine_predictions').build_parser(),
        ['--config', 'c.py', '--source', 's', '--work-dir', 'w'],
    ),
    'tune': (
        lambda: command('tune').build_parser(),
        ['--config', 'c.py', '--split', 'val', '--work-dir', 'w'],
    ),
    'reproduce': (lambda: command('reproduce').build_parser(), []),
    'benchmark': (lambda: command('benchmark').build_parser(), []),
    'benchmark_batched': (lambda: command('benchmark_batched').build_parser(), []),
    'piecewise_check': (lambda: command('piecewise_check').build_parser(), []),
    'frame_check': (lambda: command('frame_check').build_parser(), ['folder']),
    'soak_folder': (lambda: command('soak_folder').build_parser(), ['--work-dir', 'w']),
    'hierarchy_baselines': (
        lambda: command('hierarchy_baselines').build_parser(),
        ['--method', 'fh-set', '--out', 'o'],
    ),
    'hierarchy_report': (lambda: command('hierarchy_report').build_parser(), []),
    'export_rle': (lambda: command('export_rle').build_parser(), ['--work-dir', 'w']),
    'stamp_docs': (lambda: command('stamp_docs').build_parser(), []),
}
#: Commands whose parser has sub-commands (each sub-parser uses the shared options).
SUBCOMMANDS = {'hierarchy_probe'}


def test_every_tool_file_calls_its_own_command_module():
    """tools/<name>.py runs dynaseg.cli.<module>.main and nothing else; every command module is
    some tool's, has a parser and a main, and is listed here."""
    modules = {p.stem for p in (REPO_ROOT / 'dynaseg' / 'cli').glob('*.py')} - {
        '__init__',
        'options',
    }
    used = set()
    for tool in (REPO_ROOT / 'tools').glob('*.py'):
        text = tool.read_text(encoding='utf-8')
        names = re.findall(r'from dynaseg\.cli\.(\w+) import main$', text, re.MULTILINE)
        assert len(set(names)) == 1, f'{tool.name} calls {names}'
        used.add(names[0])
    assert used == modules
    assert modules == set(PARSERS) | SUBCOMMANDS
    for name in modules:
        module = command(name)
        assert callable(module.main) and callable(module.build_parser), name


#: Options several tools share and a value each: same spelling, same meaning.
SHARED_VALUES = {
    '--work-dir': 'outputs',
    '--config': 'dynaseg-fsf_cnn-m2_fast_bsds500',
    '--data-root': 'data',
    '--split': 'val',
    '--images': '3',
    '--image-ids': '100007',
    '--device': 'cuda',
    '--threads': '2',
    '--launcher': 'pytorch',
    '--batch-size': '4',
    '--cfg-options': 'model.seed=3',
    '--seed': '7',
    '--num-segments': '5',
    '--max-iters': '9',
    '--min-labels': '4',
    '--channels': '8',
    '--weighting': 'scf',
    '--mu': '2.5',
}


def option_map(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {s: a for a in parser._actions for s in a.option_strings}


@pytest.fixture(scope='module')
def parsers() -> dict[str, tuple[argparse.ArgumentParser, list[str]]]:
    return {name: (build(), required) for name, (build, required) in PARSERS.items()}


#: Options a command takes in a plural sense, on purpose: reproduce.py hands --cfg-options word
#: for word to every run's command; the piecewise check scores several configs side by side.
PLURAL = {('reproduce', '--cfg-options'), ('piecewise_check', '--config')}


@pytest.mark.parametrize('option', sorted(SHARED_VALUES))
def test_a_shared_option_parses_alike_in_every_tool_that_has_it(option, parsers):
    """The same option, spelt the same way, gives the same value in every tool with it."""
    values = {}
    for name, (parser, required) in parsers.items():
        if option not in option_map(parser) or (name, option) in PLURAL:
            continue
        args = parser.parse_args([*required, option, SHARED_VALUES[option]])
        action = option_map(parser)[option]
        values[name] = (action.dest, getattr(args, action.dest))
    assert len(values) >= 2, f'{option} is in fewer than two tools: {sorted(values)}'
    assert len(set(map(repr, values.values()))) == 1, values


@pytest.mark.parametrize('name', sorted(PARSERS))
def test_every_multi_word_flag_takes_both_spellings(name, parsers):
    """``--input-folder`` and ``--input_folder`` are one option wherever either exists."""
    parser, _ = parsers[name]
    options = option_map(parser)
    for string, action in options.items():
        word = string[2:]
        if not string.startswith('--') or word.lower() != word:
            continue  # the authors' camelCase aliases are spelt one way
        for other in (word.replace('-', '_'), word.replace('_', '-')):
            assert options.get(f'--{other}') is action, f'{name}: {string} lacks --{other}'
    canonical = {a.option_strings[0] for a in options.values() if a.option_strings}
    assert not [s for s in canonical if '_' in s], f'{name}: an underscore name comes first'


@pytest.mark.parametrize('name', sorted(PARSERS))
def test_one_name_each_for_output_folder_image_count_and_list(name, parsers):
    parser, _ = parsers[name]
    options = option_map(parser)
    for old, canonical in (('--output_folder', '--work-dir'), ('--limit', '--images')):
        if old in options:
            assert options[old] is options[canonical], f'{name}: {old} is not {canonical}'
    if '--images' in options:
        assert options['--images'].type is int  # a count; a list is --image-ids
    if '--image-ids' in options:
        assert options['--image-ids'].nargs == '+'


def test_authors_flags_are_aliases_of_the_named_settings():
    parser = build_segment_parser()
    required = PARSERS['segment'][1]
    authors = parser.parse_args(
        [*required, '--nChannel', '8', '--nConv', '3', '--maxIter', '9', '--minLabels', '4']
    )
    named = parser.parse_args(
        [*required, '--channels', '8', '--num-convs', '3', '--max-iters', '9', '--min-labels', '4']
    )
    assert vars(authors) == vars(named)
    legacy = parser.parse_args(['--input_folder', 'in', '--output_folder', 'out'])
    assert (legacy.input_folder, legacy.work_dir) == ('in', 'out')


def test_named_setting_flags_are_the_keyword_table(parsers):
    """The tools' setting flags and ``segment_image``'s keywords are one table."""
    for name in ('segment', 'evaluate', 'demo', 'scribble_figure'):
        options = option_map(parsers[name][0])
        for keyword in KEYWORDS:
            assert f'--{keyword.replace("_", "-")}' in options, (name, keyword)


def test_miou_accepts_the_dataset_folder_names():
    parser = build_miou_parser()
    required = PARSERS['miou'][1]
    assert parser.parse_args(required).dataset == 'bsds500'
    for spelling in ('bsds500', 'bsd500', 'voc2012', 'voc'):
        assert parser.parse_args([*required, '--dataset', spelling]).dataset == spelling


# ----------------------------------------------------------------------------- help texts


def help_text(parser: argparse.ArgumentParser) -> str:
    return ' '.join(parser.format_help().split())  # argparse wraps lines anywhere


def unwrapped(text: str) -> str:
    return ''.join(text.split())  # argparse also wraps after the hyphens inside a name


@pytest.mark.parametrize('name', ['segment', 'evaluate', 'demo', 'scribble_figure'])
def test_help_names_the_real_default_config(name, parsers):
    text = help_text(parsers[name][0])
    assert f'Default:{DEFAULT_CONFIG.stem}' in unwrapped(text)
    assert 'DynaSeg-SCF' not in text
    assert parsers[name][0].get_default('config') == str(DEFAULT_CONFIG)


def test_num_segments_help_says_what_it_does(parsers):
    """K replaces min_labels as the stop target; patience and max_iters still stop first."""
    text = help_text(parsers['segment'][0])
    assert 'stop once q <= K' in text and 'patience or max_iters' in text
    assert 'merged' in text and 'split to exactly K' in text


# ----------------------------------------------------------------------------- configs


def test_configs_resolve_by_name_from_any_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    expected = REPO_ROOT / 'configs' / 'dynaseg' / 'dynaseg-fsf_cnn-m2_fast_bsds500.py'
    for spelling in (
        'dynaseg-fsf_cnn-m2_fast_bsds500',
        'dynaseg-fsf_cnn-m2_fast_bsds500.py',
        'configs/dynaseg/dynaseg-fsf_cnn-m2_fast_bsds500.py',  # checkout-relative
        'dynaseg/dynaseg-fsf_cnn-m2_fast_bsds500.py',  # relative to configs/
    ):
        assert resolve_config(spelling).resolve() == expected, spelling
    with pytest.raises(FileNotFoundError, match='did you mean dynaseg-fsf_cnn-m2_fast_bsds500'):
        resolve_config('dynaseg-fsf_cnn-m2_fast_bsd500')


def test_an_installed_package_reads_its_own_copy_of_the_configs(tmp_path, monkeypatch):
    import dynaseg.apis.inference as inference

    assert inference.config_root() == REPO_ROOT / 'configs'  # a checkout: configs/ in place
    monkeypatch.setattr(inference, 'REPO_ROOT', tmp_path)  # no checkout around the package
    assert inference.config_root() == inference.PACKAGED_CONFIGS


def test_config_names_are_unique_and_exclude_base_files():
    names = [Path(c).stem for c in list_configs()]
    assert len(names) == len(set(names))
    assert DEFAULT_CONFIG.stem in names and 'felzenszwalb_bsds500' in names
    assert not any(c.startswith('_base_') for c in list_configs())


@pytest.mark.parametrize('name', ['segment', 'evaluate', 'coco', 'train_reference', 'demo'])
def test_list_configs_prints_them_and_exits_0(name, parsers, capsys):
    parser, _ = parsers[name]
    with pytest.raises(SystemExit) as exit_info:
        parser.parse_args(['--list-configs'])  # required options are not needed
    assert exit_info.value.code == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(list_configs())
    assert any(line.split()[0] == DEFAULT_CONFIG.stem for line in lines)


# ----------------------------------------------------------------------------- threads


def test_torch_threads_restores_the_count():
    before = torch.get_num_threads()
    target = 1 if before != 1 else 2
    with torch_threads(target):
        assert torch.get_num_threads() == target
    assert torch.get_num_threads() == before
    with pytest.raises(RuntimeError), torch_threads(target):
        raise RuntimeError('the count is restored on errors too')
    assert torch.get_num_threads() == before


def test_busy_machine_note(monkeypatch):
    monkeypatch.setattr('os.cpu_count', lambda: 2)
    monkeypatch.setattr('os.getloadavg', lambda: (1.8, 1.5, 1.0))
    note = busy_cpu_note(2)
    assert note is not None and '--threads 1' in note and 'load 1.8 on 2 cores' in note
    assert busy_cpu_note(1) is None  # one thread cannot oversubscribe
    monkeypatch.setattr('os.getloadavg', lambda: (0.1, 0.1, 0.1))
    assert busy_cpu_note(2) is None


def test_console_scripts_are_the_command_modules():
    text = (REPO_ROOT / 'setup.py').read_text(encoding='utf-8')
    for script, name in (
        ('dynaseg-segment', 'segment'),
        ('dynaseg-evaluate', 'evaluate'),
        ('dynaseg-miou', 'miou'),
    ):
        assert f'{script}=dynaseg.cli.{name}:main' in text
        assert callable(command(name).main)


# ----------------------------------------------------------------------------- overrides


@pytest.mark.parametrize(
    ('options', 'expected'),
    [
        (['model.schedule.max_iter=5'], "did you mean 'model.schedule.max_iters'?"),
        (['num_segments=3', 'foo=1'], "did you mean 'model.num_segments'?"),
    ],
)
@pytest.mark.parametrize('tool', ['segment', 'evaluate'])
def test_a_misspelt_override_exits_2_in_one_line(tool, options, expected, tmp_path, capsys):
    from dynaseg.cli.evaluate import dataset_main
    from dynaseg.cli.segment import main as segment_main

    argv = ['--threads', '1', '--cfg-options', *options]
    if tool == 'segment':
        code = segment_main(
            ['--input-folder', str(tmp_path), '--work-dir', str(tmp_path / 'o'), *argv]
        )
    else:
        code = dataset_main(['--config', DEFAULT_CONFIG.stem, *argv], description='x')
    assert code == 2
    err = capsys.readouterr().err
    assert err.count('\n') == 1 and err.rstrip().endswith(expected), err
    assert 'Traceback' not in err and not (tmp_path / 'o').exists()


def test_data_root_and_cfg_options_reach_the_dataset():
    from dynaseg.cli.options import load_config_from_args

    parser = build_dataset_parser('x.')
    config = ['--config', DEFAULT_CONFIG.stem]
    cfg = load_config_from_args(parser.parse_args([*config, '--data-root', '/data']))
    assert cfg.dataset.data_root == '/data/bsds500'
    cfg = load_config_from_args(
        parser.parse_args([*config, '--data-root', '/d', '--cfg-options', 'data_root=/x/b'])
    )
    assert cfg.dataset.data_root == '/x/b'  # the explicit key wins over --data-root
    cfg = load_config_from_args(parser.parse_args([*config, '--seed', '4', '--num-segments', '3']))
    assert (cfg.model.seed, cfg.model.num_segments) == (4, 3)


def test_data_root_defaults_to_the_environment(monkeypatch):
    monkeypatch.setenv('DYNASEG_DATA_ROOT', '/shared/data')
    assert build_dataset_parser('x.').get_default('data_root') == '/shared/data'
    monkeypatch.delenv('DYNASEG_DATA_ROOT')
    assert build_dataset_parser('x.').get_default('data_root') is None  # the config's data/


@pytest.mark.parametrize('tool', ['segment', 'evaluate', 'train_reference'])
def test_threads_flag_restores_torch_threads_when_main_returns(tool, tmp_path):
    """A main called from Python leaves the process's thread count as it found it."""
    from dynaseg.cli.evaluate import dataset_main
    from dynaseg.cli.segment import main as segment_main
    from dynaseg.cli.train_reference import main as train_reference_main

    before = torch.get_num_threads()
    threads = '1' if before != 1 else '2'
    missing = str(tmp_path / 'missing')
    if tool == 'segment':  # the input folder is missing: exit 2 after the threads were set
        code = segment_main(
            ['--input-folder', missing, '--work-dir', missing + '_out', '--threads', threads]
        )
    elif tool == 'evaluate':
        argv = ['--config', DEFAULT_CONFIG.stem, '--data-root', missing, '--threads', threads]
        code = dataset_main(argv, description='x')
    else:
        argv = ['--config', DEFAULT_CONFIG.stem, '--train-folder', missing, '--out', 'o.pth']
        code = train_reference_main([*argv, '--threads', threads])
    assert code == 2
    assert torch.get_num_threads() == before
