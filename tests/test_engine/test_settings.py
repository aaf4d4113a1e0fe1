"""EngineSettings: one object for every engine option, built once from the model config; each
option honoured or refused in one line, on the per-image and the one-pass path alike."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from PIL import Image

from dynaseg.apis import load_config
from dynaseg.apis.inference import build_segmentor
from dynaseg.cli.segment import main as segment_main
from dynaseg.engine import EngineSettings, Schedule, SilhouetteConfig
from dynaseg.engine.consensus import Consensus
from dynaseg.models.segmentors import DynaSeg, DynaSegReferenceImage, reference_image_config
from dynaseg.testing import piecewise_image

REPO_ROOT = Path(__file__).resolve().parents[2]
ONE_PASS = REPO_ROOT / 'configs' / 'dynaseg' / 'dynaseg-fsf_cnn-m2_one-pass_bsds500.py'
REFERENCE = REPO_ROOT / 'configs' / 'dynaseg' / 'dynaseg-scf_cnn-m2_reference_bsds500.py'
TINY = {'model.backbone.channels': 8, 'model.backbone.out_channels': 8}

#: One non-default value per engine option, in config form, and the field value it gives.
OPTIONS = {
    'schedule': (dict(max_iters=7, patience=2), Schedule(max_iters=7, patience=2)),
    'silhouette': (dict(enabled=True, k_max=9), SilhouetteConfig(enabled=True, k_max=9)),
    'num_segments': (4, 4),
    'scribble': (dict(weight=0.7), 0.7),
    'consensus': (dict(seeds=2), Consensus(seeds=2)),
    'precision': ('bf16', 'bf16'),
    'compile_extractor': ('eager', 'eager'),
    'channels_last': (False, False),
    'tune_allocator': (False, False),
}


def field_of(key: str) -> str:
    return 'scribble_weight' if key == 'scribble' else key


def test_every_field_is_read_from_its_config_key():
    assert set(EngineSettings.config_keys()) == set(OPTIONS)
    for key, (value, expected) in OPTIONS.items():
        settings = EngineSettings.from_config({key: value})
        assert getattr(settings, field_of(key)) == expected
        # Every other field keeps its default.
        default = getattr(EngineSettings(), field_of(key))
        assert dataclasses.replace(settings, **{field_of(key): default}) == EngineSettings()


def test_defaults_and_spelled_out_defaults_are_one_object():
    spelled = EngineSettings.from_config(
        dict(
            schedule=None,
            silhouette=None,
            num_segments='auto',
            scribble=dict(weight=0.5),
            consensus=None,
            precision='fp32',
            compile_extractor=False,
            channels_last=True,
            tune_allocator=True,
        )
    )
    assert spelled == EngineSettings.from_config({}) == EngineSettings()
    with pytest.raises(dataclasses.FrozenInstanceError):
        spelled.precision = 'tf32'  # type: ignore[misc]


@pytest.mark.parametrize(
    'options, message',
    [
        (dict(max_iter=5), r'^unknown model option max_iter \(engine options: schedule, '),
        (dict(precision='fp16'), 'precision must be one of'),
        (dict(num_segments=0), 'num_segments must be'),
        (dict(consensus=dict(seeds=0)), 'consensus needs seeds >= 1'),
    ],
)
def test_bad_options_are_refused_in_one_line(options, message):
    with pytest.raises(ValueError, match=message) as info:
        EngineSettings.from_config(options)
    assert '\n' not in str(info.value)


def test_the_one_pass_mode_accepts_only_the_options_it_honours():
    assert EngineSettings.config_keys(one_pass=True) == ('num_segments',)
    assert EngineSettings.from_config(dict(num_segments=3), one_pass=True).num_segments == 3
    for key in set(OPTIONS) - {'num_segments'}:
        with pytest.raises(ValueError, match=f'^{key}: per-image optimisation setting, '):
            EngineSettings.from_config({key: OPTIONS[key][0]}, one_pass=True)


@pytest.mark.parametrize('key', sorted(OPTIONS))
def test_the_per_image_segmentor_honours_every_option(key: str):
    value, expected = OPTIONS[key]
    model = build_segmentor(load_config(None, dict(TINY, **{f'model.{key}': value})))
    assert isinstance(model, DynaSeg)
    actual = getattr(model.engine, field_of(key))
    if dataclasses.is_dataclass(actual):  # merged into the config's own schedule, ...
        assert all(getattr(actual, name) == v for name, v in value.items())
    else:
        assert actual == expected


@pytest.mark.parametrize('key', sorted(set(OPTIONS) - {'num_segments'}))
def test_the_one_pass_segmentor_refuses_the_per_image_options(key: str):
    cfg = load_config(REFERENCE, TINY)
    cfg.model[key] = OPTIONS[key][0]  # past the override check: the segmentor's own refusal
    with pytest.raises(ValueError, match=f'{key}: per-image optimisation setting') as info:
        build_segmentor(cfg)
    assert '\n' not in str(info.value)
    model = build_segmentor(load_config(REFERENCE, dict(TINY, **{'model.num_segments': 4})))
    assert isinstance(model, DynaSegReferenceImage) and model.engine.num_segments == 4


def test_reference_image_config_drops_exactly_the_per_image_options():
    per_image = load_config(None, {f'model.{k}': v for k, (v, _) in OPTIONS.items()})
    cfg = reference_image_config(per_image.model, checkpoint=None)
    assert set(OPTIONS) & set(cfg) == {'num_segments'}
    per_image.model = cfg
    model = build_segmentor(per_image)
    assert isinstance(model, DynaSegReferenceImage) and model.engine.num_segments == 4


@pytest.mark.parametrize(
    'key, config',
    [
        ('model.init_checkpoint', None),
        ('model.backbone.checkpoint', None),
        ('model.reference.checkpoint', REFERENCE),
    ],
)
def test_the_old_weights_keys_are_refused_naming_the_new_one(key: str, config, tmp_path: Path):
    cfg = load_config(config, TINY)
    section, _, name = key.removeprefix('model.').rpartition('.')
    (cfg.model[section] if section else cfg.model)[name] = str(tmp_path / 'net.pth')
    with pytest.raises(ValueError, match=rf'{key} is no longer read: set model\.checkpoint'):
        build_segmentor(cfg)


def test_the_tool_refuses_a_per_image_option_of_the_one_pass_config_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    """The folder tool with the one-pass config and ``model.precision=tf32``: exit code 2 and
    one line that names the option, not a traceback."""
    images = tmp_path / 'images'
    images.mkdir()
    Image.fromarray(piecewise_image(16, 20)[0]).save(images / 'a.png')
    argv = ['--input_folder', str(images), '--output_folder', str(tmp_path / 'out')]
    argv += ['--config', str(ONE_PASS), '--cfg-options', 'model.precision=tf32']
    argv += ['--threads', '1']  # no busy-CPU note on a loaded machine: the one line is the error
    assert segment_main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and 'precision' in err, err
