"""Override keys are checked against the config and the classes that read them, and the common
settings have plain names shared by ``segment_image`` and the tools' flags."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dynaseg.apis import DEFAULT_CONFIG, load_config, segment_image
from dynaseg.apis.dataset_runner import (
    DatasetNotFoundError,
    apply_data_root,
    build_dataset,
    dataset_folder,
)
from dynaseg.apis.overrides import (
    DATASET_RUNNERS,
    FOLDER_TOOL,
    KEY_READERS,
    UnknownConfigKeyError,
    apply_overrides,
    check_overrides,
    keyword_options,
)
from dynaseg.testing import piecewise_image

REPO_ROOT = Path(__file__).resolve().parents[2]
FELZENSZWALB = REPO_ROOT / 'configs' / 'baselines' / 'felzenszwalb_bsds500.py'


@pytest.fixture(scope='module')
def default_cfg():
    return load_config(DEFAULT_CONFIG)


@pytest.mark.parametrize(
    'key',
    [
        'model.seed',
        'model.num_segments',  # a DynaSeg parameter the config file does not spell
        'model.schedule.max_iters',  # a Schedule field
        'model.schedule.loss_plateau.window',  # a LossPlateau field, under an absent section
        'model.silhouette.k_max',
        'model.consensus.seeds',
        'model.scribble.weight',
        'model.backbone.padding_mode',  # the extractor's parameter
        'model.optimizer.momentum',  # torch.optim.SGD's argument
        'model.loss.weight.mu',
        'model.data_preprocessor.mean',  # mmseg's SegDataPreProcessor
        'dataset.indices',  # mmengine's BaseDataset, through BSDS500Dataset's **kwargs
        'evaluator.0.mode',  # a list entry
        'data_root',
        'batch_size',
    ],
)
def test_valid_keys_pass(default_cfg, key):
    check_overrides(default_cfg, {key: 1})


@pytest.mark.parametrize(
    ('key', 'suggestion'),
    [
        ('model.schedule.max_iter', 'model.schedule.max_iters'),
        ('model.backbone.num_conv', 'model.backbone.num_convs'),
        ('model.optimizer.momentun', 'model.optimizer.momentum'),
        ('model.silhouette.k_mx', 'model.silhouette.k_max'),
        ('dataset.indice', 'dataset.indices'),
        ('evaluator.0.mod', 'evaluator.0.mode'),
        ('num_segments', 'model.num_segments'),  # a plain name given as a config key
        ('max_iter', 'model.schedule.max_iters'),
    ],
)
def test_misspelt_keys_are_refused_naming_the_closest(default_cfg, key, suggestion):
    with pytest.raises(UnknownConfigKeyError) as err:
        check_overrides(default_cfg, {key: 1})
    message = str(err.value)
    assert '\n' not in message
    assert message.endswith(f'did you mean {suggestion!r}?'), message


def test_unknown_keys_name_their_reader_or_the_valid_keys(default_cfg):
    with pytest.raises(UnknownConfigKeyError, match=r"\(Schedule takes no 'max_iter'\)"):
        check_overrides(default_cfg, {'model.schedule.max_iter': 5})
    with pytest.raises(UnknownConfigKeyError, match='valid keys there: batch_size, '):
        check_overrides(default_cfg, {'foo': 1})
    with pytest.raises(UnknownConfigKeyError, match="'model.seed' holds a value"):
        check_overrides(default_cfg, {'model.seed.x': 1})


def test_dict_values_are_checked_against_their_type(default_cfg):
    check_overrides(default_cfg, {'model.loss.weight': dict(type='SCFWeight', mu=50.0)})
    with pytest.raises(UnknownConfigKeyError, match="did you mean 'model.loss.weight.mu'"):
        check_overrides(
            default_cfg, {'model.loss.weight': dict(type='SCFWeight', muu=5, _delete_=True)}
        )
    with pytest.raises(UnknownConfigKeyError, match="did you mean 'model.num_segments'"):
        check_overrides(default_cfg, {'model': dict(num_segment=3)})


def test_classical_baselines_take_their_own_parameters():
    cfg = load_config(FELZENSZWALB)
    check_overrides(cfg, {'model.scale': 100, 'model.min_size': 10, 'model.seed': 1})
    with pytest.raises(UnknownConfigKeyError, match="FelzenszwalbSegmentor takes no 'schedule'"):
        check_overrides(cfg, {'model.schedule.max_iters': 3})
    # A type switched by an earlier key of the same overrides decides the later keys.
    switched = {'model.type': 'FelzenszwalbSegmentor', 'model.scale': 100}
    check_overrides(load_config(DEFAULT_CONFIG), switched)


def test_keywords_become_config_keys_in_table_order():
    options = keyword_options(
        {'mu': 3.0, 'model.seed': 2, 'weighting': 'scf', 'seed': 1, 'channels': 8, 'lr': None}
    )
    assert list(options) == [
        'model.seed',
        'model.loss.weight',
        'model.loss.weight.mu',
        'model.backbone.channels',
        'model.backbone.out_channels',
    ]
    assert options['model.seed'] == 2  # an explicit config key wins over its plain name
    cfg = apply_overrides(load_config(DEFAULT_CONFIG), options)
    assert cfg.model.loss.weight.to_dict() == {'type': 'SCFWeight', 'mu': 3.0}
    with pytest.raises(ValueError, match='weighting must be one of'):
        keyword_options({'weighting': 'xyz'})


def test_data_root_and_split_overrides_reach_the_dataset():
    cfg = load_config(DEFAULT_CONFIG, {'data_root': '/elsewhere/bsds500', 'split': 'val'})
    assert (cfg.dataset.data_root, cfg.dataset.split) == ('/elsewhere/bsds500', 'val')
    cfg = load_config(DEFAULT_CONFIG, {'data_root': '/a', 'dataset.data_root': '/b'})
    assert cfg.dataset.data_root == '/b'  # the explicit dataset key wins


def test_data_root_is_the_folder_holding_the_datasets(tmp_path):
    assert dataset_folder(tmp_path, 'bsds500') == tmp_path / 'bsds500'
    # The dataset folder itself is accepted (named like the config's, nothing nested inside).
    assert dataset_folder(tmp_path / 'bsds500', 'bsds500') == tmp_path / 'bsds500'
    (tmp_path / 'bsds500' / 'bsds500').mkdir(parents=True)
    assert dataset_folder(tmp_path / 'bsds500', 'bsds500') == tmp_path / 'bsds500' / 'bsds500'
    cfg = apply_data_root(load_config(DEFAULT_CONFIG), tmp_path)
    assert cfg.data_root == cfg.dataset.data_root == str(tmp_path / 'bsds500')


def test_a_missing_dataset_names_the_option_that_fixes_it(tmp_path):
    cfg = apply_data_root(load_config(DEFAULT_CONFIG), tmp_path / 'nowhere')
    with pytest.raises(DatasetNotFoundError, match='pass --data-root DIR, the folder holding'):
        build_dataset(cfg)
    (tmp_path / 'data' / 'cocostuff').mkdir(parents=True)  # present but empty: no list file
    coco = load_config('dynaseg-fsf_cnn-m3_fast_coco-stuff27')
    with pytest.raises(DatasetNotFoundError, match='split list .*--data-root'):
        build_dataset(apply_data_root(coco, tmp_path / 'data'))


# ----------------------------------------------------------------------------- segment_image

TINY = dict(channels=8, max_iters=3, min_labels=0, seed=0)


def test_segment_image_takes_the_common_settings_as_keywords():
    image = piecewise_image(24, 32)[0]
    result = segment_image(image, num_segments=2, **TINY, **{'model.silhouette.enabled': False})
    assert sorted(np.unique(result.labels)) == [0, 1]
    assert result.record.num_segments == 2


def test_segment_image_refuses_unknown_keywords():
    image = piecewise_image(24, 32)[0]
    with pytest.raises(UnknownConfigKeyError, match="'foo'"):
        segment_image(image, foo=1)
    with pytest.raises(UnknownConfigKeyError, match="did you mean 'model.num_segments'"):
        segment_image(image, **{'model.num_segment': 5})


def test_a_model_only_config_takes_the_runner_keys():
    cfg = load_config(REPO_ROOT / 'configs' / '_base_' / 'models' / 'dynaseg_cnn.py')
    check_overrides(cfg, {'batch_size': 2})
    with pytest.raises(UnknownConfigKeyError, match="did you mean 'batch_size'"):
        check_overrides(cfg, {'batch_sise': 2})


@pytest.mark.parametrize(
    ('key', 'readers'),
    [
        ('picture_pixels', 'the dataset runners'),
        ('data_root', 'the dataset runners'),
        ('dataset.split', 'the dataset runners'),
        ('evaluator.0.mode', 'the dataset runners'),
    ],
)
def test_the_folder_tool_refuses_keys_other_tools_read(default_cfg, key, readers):
    check_overrides(default_cfg, {key: 1})  # valid keys of the config, for the tools reading them
    with pytest.raises(UnknownConfigKeyError, match=f'is read by {readers}.*not by the folder'):
        check_overrides(default_cfg, {key: 1}, tool=FOLDER_TOOL)


def test_the_folder_tool_takes_model_keys_and_the_batch_size(default_cfg):
    check_overrides(default_cfg, {'model.seed': 1, 'batch_size': 2}, tool=FOLDER_TOOL)
    check_overrides(default_cfg, {'hierarchy.tree': 'area'}, tool=FOLDER_TOOL)  # the default's
    with pytest.raises(UnknownConfigKeyError, match=r"did you mean 'model.seed'"):
        check_overrides(default_cfg, {'modle.seed': 1}, tool=FOLDER_TOOL)
    with pytest.raises(UnknownConfigKeyError, match=r"did you mean 'model.num_segments'\?$"):
        check_overrides(default_cfg, {'num_segments': 3}, tool=FOLDER_TOOL)
    with pytest.raises(
        UnknownConfigKeyError,
        match=r'\(the folder tool .* reads model\.\*, batch_size, hierarchy\)$',
    ):
        check_overrides(default_cfg, {'picture_pixel': 1}, tool=FOLDER_TOOL)


def test_every_key_of_the_readers_table_is_read_by_some_tool():
    assert set(KEY_READERS) >= {'model', 'batch_size', 'picture_pixels', 'data_root', 'split'}
    assert all(
        readers and set(readers) <= {FOLDER_TOOL, DATASET_RUNNERS}
        for readers in KEY_READERS.values()
    )
