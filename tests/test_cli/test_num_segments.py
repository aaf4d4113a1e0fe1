"""``--num-segments K``: the folder tool returns exactly K labels; dataset tools take the key."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dynaseg.apis.inference import build_segmentor, load_config
from dynaseg.cli.evaluate import build_parser as build_dataset_parser
from dynaseg.cli.segment import build_parser as build_segment_parser
from dynaseg.cli.segment import config_from_args
from dynaseg.cli.segment import main as segment_main
from dynaseg.testing import piecewise_image
from dynaseg.utils.fileio import load_label_map

REPO_ROOT = Path(__file__).resolve().parents[2]
MODEL_CONFIG = str(REPO_ROOT / 'configs' / '_base_' / 'models' / 'dynaseg_cnn.py')


def test_flag_sets_the_config_key_and_defaults_to_auto():
    def parse(*argv: str):
        args = build_segment_parser().parse_args(
            ['--input_folder', 'in', '--output_folder', 'out', *argv]
        )
        return config_from_args(args)

    assert parse('--num-segments', '4').model.num_segments == 4
    assert 'num_segments' not in parse().model  # the segmentor's default: 'auto'
    assert build_segmentor(parse()).engine.num_segments is None


@pytest.mark.parametrize('max_pixels', [None, 300], ids=['working-size', 'upsampled'])
def test_num_segments_3_end_to_end(tmp_path: Path, max_pixels: int | None):
    """A tiny synthetic image (4 regions) gives exactly 3 labels, also when its response is
    upsampled from a 300-pixel working size."""
    (tmp_path / 'in').mkdir()
    Image.fromarray(piecewise_image(24, 32, seed=1)[0]).save(tmp_path / 'in' / 'img.png')
    code = segment_main(
        [
            '--input_folder',
            str(tmp_path / 'in'),
            '--output_folder',
            str(tmp_path / 'out'),
            '--config',
            MODEL_CONFIG,
            '--nChannel',
            '16',
            '--maxIter',
            '8',
            '--num-segments',
            '3',
            '--visualize',
            '0',
            '--threads',
            '1',
            '--no-progress',
            '--cfg-options',
            'model.silhouette.enabled=False',
            f'model.schedule.max_pixels={max_pixels}',
        ]
    )
    assert code == 0
    labels = load_label_map(tmp_path / 'out' / 'img.png')
    assert labels.shape == (24, 32)
    assert sorted(np.unique(labels).tolist()) == [0, 1, 2]
    record = json.loads((tmp_path / 'out' / 'records' / 'img.json').read_text())
    assert record['num_labels'] == 3 and record['model_config']['num_segments'] == 3


def test_dataset_tools_take_the_key_as_a_cfg_option():
    args = build_dataset_parser('x').parse_args(
        ['--config', 'c.py', '--cfg-options', 'model.num_segments=5']
    )
    cfg = load_config(REPO_ROOT / 'configs' / 'dynaseg' / 'dynaseg-fsf_cnn-m2_fast_bsds500.py')
    cfg.merge_from_dict(args.cfg_options)
    assert build_segmentor(cfg).engine.num_segments == 5
