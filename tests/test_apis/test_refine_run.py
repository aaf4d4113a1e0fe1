"""refine_run: a refined config's run made from the unrefined run equals running it outright."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dynaseg.apis.dataset_runner import run_dataset
from dynaseg.apis.layout import DatasetLayout
from dynaseg.apis.refine_run import refine_run
from dynaseg.evaluation.functional import read_label_map
from dynaseg.testing import make_bsds
from dynaseg.testing.runs import BSDS_CONFIG, read_results, tiny_config

VOTE = [
    dict(
        type='RegionVote',
        regions=dict(type='FelzenszwalbSegmentor', scale=20.0, sigma=0.5, min_size=5),
    )
]


def quiet(_: str) -> None:
    pass


def test_refined_run_equals_the_full_run_and_is_scored(tmp_path: Path) -> None:
    root = make_bsds(tmp_path / 'bsds', ['100', '200'])
    source, refined, direct = tmp_path / 'source', tmp_path / 'refined', tmp_path / 'direct'
    run_dataset(tiny_config(BSDS_CONFIG, root), source, log=quiet)
    results = refine_run(
        tiny_config(BSDS_CONFIG, root, **{'model.refine': VOTE}), source, refined, log=quiet
    )
    run_dataset(tiny_config(BSDS_CONFIG, root, **{'model.refine': VOTE}), direct, log=quiet)
    assert results['exit_code'] == 0 and results['counts']['scored'] == 2
    saved, per_image = read_results(refined)
    assert saved['metrics'] == read_results(direct)[0]['metrics']
    for img_id in ('100', '200'):
        made = read_label_map(DatasetLayout(refined).pred(img_id))
        assert np.array_equal(made, read_label_map(DatasetLayout(direct).pred(img_id)))
    assert [row['img_id'] for row in per_image] == ['100', '200']


def test_a_source_of_another_model_or_a_config_without_refiners_is_refused(
    tmp_path: Path,
) -> None:
    root = make_bsds(tmp_path / 'bsds', ['100'])
    source = tmp_path / 'source'
    run_dataset(tiny_config(BSDS_CONFIG, root), source, log=quiet)
    other = tiny_config(BSDS_CONFIG, root, **{'model.refine': VOTE, 'model.seed': 1})
    with pytest.raises(ValueError, match='made by another model'):
        refine_run(other, source, tmp_path / 'x', log=quiet)
    with pytest.raises(ValueError, match='nothing to refine'):
        refine_run(tiny_config(BSDS_CONFIG, root), source, tmp_path / 'y', log=quiet)
    assert not (tmp_path / 'x').exists() and not (tmp_path / 'y').exists()
