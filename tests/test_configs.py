"""Every config in configs/ loads and builds its model; ablations differ from their parent, FSF
and Kim configs from their twins; the config tree stays shallow and holds no key that nothing
reads; each method folder's metafile.yaml names every config once, agrees with configs/README.md
and quotes only numbers its committed result pages hold."""

import ast
import re
from pathlib import Path

import pytest
import yaml
from mmengine.config import Config

from dynaseg.models.backbones import count_parameters
from dynaseg.models.losses.dynamic_weight import registered_weightings
from dynaseg.models.segmentors import ClassicalSegmentor
from dynaseg.registry import DATASETS, METRICS, MODELS
from dynaseg.utils import register_all_modules

CONFIG_DIR = Path(__file__).resolve().parents[1] / 'configs'
# configs/reports/ holds report specs (lists of runs), not model configs.
CONFIGS = sorted(
    p for p in CONFIG_DIR.rglob('*.py') if '_base_' not in p.parts and 'reports' not in p.parts
)


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: p.stem)
def test_config_builds(path):
    register_all_modules()
    cfg = Config.fromfile(str(path))
    model = MODELS.build(cfg.model)
    if 'baselines' in path.parts:  # a classical segmenter: nothing to train, no loss
        assert isinstance(model, ClassicalSegmentor) and not list(model.parameters())
    else:
        assert count_parameters(model.build_extractor()) > 0
        assert type(model.loss_fn.weight) in registered_weightings().values()
    for metric in cfg.evaluator:
        assert METRICS.build(metric) is not None
    assert DATASETS.get(cfg.dataset['type']) is not None


def test_configs_found():
    assert len(CONFIGS) >= 15


def test_weighting_by_name():
    register_all_modules()
    for stem, weight, mu in [
        ('dynaseg-scf_cnn-m2_fast_bsds500', 'SCFWeight', 50),
        ('dynaseg-fsf_cnn-m2_fast_bsds500', 'FSFWeight', 15),
        ('kim-fixed_cnn-m2_fast_bsds500', 'FixedWeight', 1),
    ]:
        path = next(p for p in CONFIGS if p.stem == stem)
        model = MODELS.build(Config.fromfile(str(path)).model)
        assert type(model.loss_fn.weight).__name__ == weight and model.loss_fn.weight.mu == mu


@pytest.mark.parametrize(
    'stem',
    [
        'dynaseg-scf_cnn-m2_fast_bsds500',
        'dynaseg-fsf_cnn-m2_fast_bsds500',
        'dynaseg-scf_resnet18-fpn_fast_bsds500',
        'dynaseg-fsf_resnet18-fpn_fast_bsds500',
    ],
)
def test_ablation_only_changes_silhouette(stem):
    base = Config.fromfile(str(CONFIG_DIR / f'dynaseg/{stem}.py'))
    ablation = Config.fromfile(str(CONFIG_DIR / f'dynaseg/{stem}_no-silhouette.py'))
    assert base.model.silhouette.enabled and not ablation.model.silhouette.enabled
    base.model.silhouette.enabled = False
    assert base.model.to_dict() == ablation.model.to_dict()


KIM_CONFIGS = [p for p in CONFIGS if p.parent.name == 'kim']


@pytest.mark.parametrize('kim', KIM_CONFIGS, ids=lambda p: p.stem)
def test_every_kim_config_is_its_dynaseg_twin_with_the_fixed_weight(kim):
    # Kim et al. is DynaSeg with a fixed weight and no Silhouette phase: each Kim config inherits
    # the DynaSeg config of the same name after the method slot and states those two, no more.
    (twin,) = bases(kim)
    assert twin.parent.name == 'dynaseg'
    assert twin.stem.split('_', 1)[1] == kim.stem.split('_', 1)[1]
    dynaseg, kim_cfg = Config.fromfile(str(twin)), Config.fromfile(str(kim))
    assert kim_cfg.model.loss.weight == dict(type='FixedWeight', mu=1.0)
    dynaseg.model.loss.weight = kim_cfg.model.loss.weight
    dynaseg.model.silhouette.enabled = False
    assert dynaseg.to_dict() == kim_cfg.to_dict()


def scf_twin(fsf: Path) -> Path:
    return fsf.with_name(fsf.name.replace('dynaseg-fsf', 'dynaseg-scf'))


# Every FSF config with an SCF twin is that twin plus the weighting; the others (ablations,
# levers, warm start) inherit an FSF parent and state only what differs.
FSF_CONFIGS = [
    p
    for p in CONFIGS
    if p.stem.startswith('dynaseg-fsf') and 'no-silhouette' not in p.stem and scf_twin(p).exists()
]
FSF_ABLATIONS = [p for p in CONFIGS if p.stem.startswith('dynaseg-fsf') and p not in FSF_CONFIGS]


@pytest.mark.parametrize('fsf', FSF_ABLATIONS, ids=lambda p: p.stem)
def test_fsf_ablations_inherit_the_fsf_weight(fsf):
    # The weighting is stated once, in the FSF parent or model base; only a config varying an SCF
    # parent states it again.
    parents = re.findall(r"'\./([^']+)\.py'", fsf.read_text())
    if 'FSFWeight' in fsf.read_text():
        assert parents and all(p.startswith('dynaseg-scf') for p in parents), fsf.stem
    assert Config.fromfile(str(fsf)).model.loss.weight == dict(type='FSFWeight', mu=15.0)


@pytest.mark.parametrize('fsf', FSF_CONFIGS, ids=lambda p: p.stem)
def test_every_fsf_config_is_its_scf_twin_with_the_fsf_weight(fsf):
    scf_path = scf_twin(fsf)
    assert bases(fsf) == [scf_path]  # the twin and the weighting line, nothing restated
    scf, fsf_cfg = Config.fromfile(str(scf_path)), Config.fromfile(str(fsf))
    assert fsf_cfg.model.loss.weight == dict(type='FSFWeight', mu=15.0)
    assert scf.model.loss.weight == dict(type='SCFWeight', mu=50.0)
    scf.model.loss.weight = fsf_cfg.model.loss.weight
    assert scf.model.to_dict() == fsf_cfg.model.to_dict()
    assert scf.dataset == fsf_cfg.dataset and scf.evaluator == fsf_cfg.evaluator


def test_configs_hold_one_test_path():
    # `dataset`/`evaluator` drive tools/evaluate_config.py; no second, unread copy of them.
    for path in CONFIGS:
        cfg = Config.fromfile(str(path))
        assert 'test_dataloader' not in cfg and 'test_evaluator' not in cfg, path.stem


def test_one_config_says_it_is_the_default():
    from dynaseg.apis.inference import DEFAULT_CONFIG

    saying = [p for p in CONFIG_DIR.rglob('*.py') if 'DEFAULT_CONFIG' in p.read_text()]
    assert saying == [DEFAULT_CONFIG]


# The default's levers, refiners and schedule: each stated in one file, which the default and its
# siblings inherit (MMSegmentation's rule: a config states only what differs). The classical
# segmenters cannot inherit the default: the two that take its refiners splice them in too, as
# does the default's fast-schedule ablation (the two levers' config with the refiners added).
ONE_HOME = {
    "padding_mode='replicate'": ['_base_/models/dynaseg_fsf_cnn_replicate_edge.py'],
    'edge_sigma=0.15': ['_base_/models/dynaseg_fsf_cnn_replicate_edge.py'],
    'coarse_max_pixels=10_000': ['_base_/schedules/quick.py'],
    'refine={{_base_.refine}}': [
        'baselines/felzenszwalb_bsds500_fh-refined.py',
        'baselines/kmeans_bsds500_fh-refined.py',
        'dynaseg/dynaseg-fsf_cnn-m2_fast_bsds500_replicate-edge-fh.py',
        'dynaseg/dynaseg-fsf_cnn-m2_quick_bsds500_replicate-edge-fh.py',
    ],
}


def code_lines(path: Path) -> list[str]:
    return [line for line in path.read_text().splitlines() if not line.lstrip().startswith('#')]


@pytest.mark.parametrize('line', ONE_HOME)
def test_each_lever_of_the_default_has_one_home(line):
    homes = sorted(p.relative_to(CONFIG_DIR).as_posix() for p in CONFIG_DIR.rglob('*.py'))
    stating = [h for h in homes if any(line in code for code in code_lines(CONFIG_DIR / h))]
    assert stating == ONE_HOME[line]


def test_configs_readme_names_every_config_and_every_rename():
    from dynaseg.apis.inference import RENAMED_CONFIGS

    readme = (CONFIG_DIR / 'README.md').read_text()
    missing = [p.stem for p in CONFIGS if f'{p.stem}.py' not in readme]
    assert not missing, f'configs/README.md does not list {missing}'
    for old, new in RENAMED_CONFIGS.items():
        assert f'| `{old}` | `{new}` |' in readme
        assert any(p.stem == new for p in CONFIGS), new


# The config tree stays shallow, as in MMSegmentation: a config varies at most one config, which
# may vary one more, for the FSF and Kim rows of a variant (`kim-fixed_cnn-m2_faithful-40k_bsds500`
# is `dynaseg-scf_cnn-m2_faithful-40k_bsds500` with Kim's weight, and that is the SCF faithful
# config at <= 40k pixels: stating the change once beats restating it per method); then the
# ``_base_`` files, of which one may vary another (the quick schedule the fast one).
MODEL_AND_REPORT_CONFIGS = sorted(p for p in CONFIG_DIR.rglob('*.py') if '_base_' not in p.parts)


def bases(path: Path) -> list[Path]:
    """The files ``path``'s ``_base_`` names, resolved."""
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], 'id', None) == '_base_':
            value = ast.literal_eval(node.value)
            return [
                (path.parent / name).resolve()
                for name in ([value] if isinstance(value, str) else value)
            ]
    return []


def depth(path: Path, base_files: bool) -> int:
    """Files in the longest ``_base_`` chain from ``path``, itself included, counting only the
    ``_base_`` files (``base_files``) or only the others. A model base sharing
    ``_base_/models/data_preprocessor.py`` counts as one base file."""
    own = int(('_base_' in path.parts) == base_files)
    if '_base_' in path.parts and path.parent.name == 'models':
        return own
    return own + max((depth(base, base_files) for base in bases(path)), default=0)


@pytest.mark.parametrize(
    'path', MODEL_AND_REPORT_CONFIGS, ids=lambda p: str(p.relative_to(CONFIG_DIR))
)
def test_every_config_is_at_most_three_configs_and_two_base_files_deep(path: Path):
    assert depth(path, base_files=False) <= 3
    assert depth(path, base_files=True) <= 2


def test_no_two_dynaseg_or_kim_configs_list_the_same_base_files():
    # Two roots on the same `_base_` files are one config and a variant of it: the variant
    # inherits the other and states what differs (the classical segmenters, which share
    # model base, dataset and runtime and differ in their model, are the exception).
    lists: dict[tuple[Path, ...], list[str]] = {}
    for path in CONFIGS:
        listed = tuple(bases(path))
        if path.parent.name in ('dynaseg', 'kim') and all('_base_' in b.parts for b in listed):
            lists.setdefault(listed, []).append(path.stem)
    assert not [stems for stems in lists.values() if len(stems) > 1]


def test_no_config_holds_keys_that_nothing_reads():
    for path in MODEL_AND_REPORT_CONFIGS:
        cfg = Config.fromfile(str(path))
        assert not {'env_cfg', 'log_level'} & set(cfg), path


# MMSegmentation's metafile.yaml beside each method's configs: every config once, its role and
# the committed report rows that hold its numbers, each number read back from its page.
REPO_ROOT = CONFIG_DIR.parent
METAFILE_FOLDERS = ('dynaseg', 'kim', 'baselines')
ROLES = ('default', 'ablation', 'paper', 'baseline', 'mode')
NUMBER = re.compile(r'[-+]?\d+(?:\.\d+)?')


def metafile(folder: str) -> dict:
    return yaml.safe_load((CONFIG_DIR / folder / 'metafile.yaml').read_text(encoding='utf-8'))


ENTRIES = [
    pytest.param(folder, entry, id=entry['Name'])
    for folder in METAFILE_FOLDERS
    for entry in metafile(folder)['Models']
]
RESULTS = [
    pytest.param(entry, result, id=f'{entry["Name"]}-{Path(result["Page"]).stem}-{result["Row"]}')
    for folder in METAFILE_FOLDERS
    for entry in metafile(folder)['Models']
    for result in entry['Results']
]


@pytest.mark.parametrize('folder', METAFILE_FOLDERS)
def test_every_config_is_in_its_folders_metafile_once(folder):
    named = [entry['Name'] for entry in metafile(folder)['Models']]
    assert sorted(named) == sorted(p.stem for p in (CONFIG_DIR / folder).glob('*.py'))


@pytest.mark.parametrize('folder, entry', ENTRIES)
def test_every_metafile_entry_names_an_existing_config(folder, entry):
    assert entry['Config'] == f'configs/{folder}/{entry["Name"]}.py'
    assert (REPO_ROOT / entry['Config']).is_file()
    assert entry['Role'] in ROLES
    assert entry['In Collection'] in [c['Name'] for c in metafile(folder)['Collections']]
    assert entry['Results'] or entry['Note']  # no result says why


def page_table(page: Path, section: str) -> list[dict[str, str]]:
    """The body rows, as {column: cell}, of the first table under the one heading of ``page``
    that starts with ``section``."""
    lines = page.read_text(encoding='utf-8').splitlines()
    (heading,) = [i for i, line in enumerate(lines) if re.match(rf'#+ {re.escape(section)}', line)]
    start = next(i for i in range(heading, len(lines)) if lines[i].startswith('|'))

    def cells(line: str) -> list[str]:
        return [cell.strip() for cell in line.strip().strip('|').split('|')]

    header, rows = cells(lines[start]), []
    for line in lines[start + 2 :]:
        if not line.startswith('|'):
            break
        rows.append(dict(zip(header, cells(line))))
    return rows


@pytest.mark.parametrize('entry, result', RESULTS)
def test_every_metafile_number_is_in_its_page_row(entry, result):
    page = REPO_ROOT / result['Page']
    assert page.parent == REPO_ROOT / 'docs' / 'results' and page.is_file()
    assert entry['Name'] in page.read_text(encoding='utf-8')  # the page ran this config
    row = page_table(page, result['Section'])[result['Row'] - 1]
    for column, value in result['Metrics'].items():
        numbers = [float(n) for n in NUMBER.findall(row[column])]
        # A list is every number of the cell; a number the cell's first (the score before its
        # interval).
        assert (numbers if isinstance(value, list) else numbers[0]) == value, column


def readme_rows() -> dict[str, tuple[str, str]]:
    """configs/README.md's config tables: config name -> (role cell, result cell)."""
    rows = {}
    for line in (CONFIG_DIR / 'README.md').read_text(encoding='utf-8').splitlines():
        match = re.match(r'\| \[`([^`]+)\.py`\]\([^)]+\) \| (.+?) \| (.+) \|$', line)
        if match:
            rows[match[1]] = (match[2], match[3])
    return rows


def readme_result_rows(cell: str) -> set[tuple[str, int]]:
    """(page, row) for each `[...](../docs/results/PAGE.md) row N` (or `rows N-M`) of a cell."""
    found = set()
    for part in cell.split(';'):
        link = re.search(r'\]\(\.\./(docs/results/[\w./-]+\.md)\)', part)
        if link:
            rows = re.search(r'rows? (\d+)(?:-(\d+))?', part[link.end() :])
            assert rows, part
            first, last = int(rows[1]), int(rows[2] or rows[1])
            found |= {(link[1], row) for row in range(first, last + 1)}
    return found


@pytest.mark.parametrize('folder, entry', ENTRIES)
def test_configs_readme_and_metafile_agree(folder, entry):
    role, result = readme_rows()[entry['Name']]
    assert role.split(':')[0].split()[0] == entry['Role']
    assert readme_result_rows(result) == {(r['Page'], r['Row']) for r in entry['Results']}
