"""dynaseg.tuning.grid: values, axes, grid and random settings, names, the test-split guard."""

from __future__ import annotations

import re

import pytest

from dynaseg.tuning.grid import (
    check_split,
    expand_grid,
    parse_axes,
    parse_value,
    sample_grid,
    setting_name,
    setting_names,
)


def test_values_parse_as_python_literals() -> None:
    assert parse_value('8') == 8 and isinstance(parse_value('8'), int)
    assert parse_value('0.5') == 0.5
    assert parse_value('None') is None
    assert parse_value('True') is True
    assert parse_value('(1, 2)') == (1, 2)
    assert parse_value("'reflect'") == 'reflect'
    assert parse_value('reflect') == 'reflect'  # not a literal: the text itself


def test_grid_is_the_cartesian_product_in_order() -> None:
    axes = parse_axes(['model.loss.weight.mu=8,15,30', 'model.schedule.patience=20,None'])
    assert axes == {'model.loss.weight.mu': [8, 15, 30], 'model.schedule.patience': [20, None]}
    grid = expand_grid(axes)
    assert len(grid) == 6
    assert grid[0] == {'model.loss.weight.mu': 8, 'model.schedule.patience': 20}
    assert grid[1] == {'model.loss.weight.mu': 8, 'model.schedule.patience': None}
    assert grid[-1] == {'model.loss.weight.mu': 30, 'model.schedule.patience': None}
    # Commas inside brackets and quotes do not split values.
    assert parse_axes(['a=(1, 2),(3, 4)', "b='x,y',z"]) == {
        'a': [(1, 2), (3, 4)],
        'b': ['x,y', 'z'],
    }
    for bad in (['a'], ['=1'], ['a=1,,2'], ['a=1', 'a=2']):
        with pytest.raises(ValueError):
            parse_axes(bad)


def test_random_search_is_seeded_distinct_and_in_grid_order() -> None:
    axes = {'a': [1, 2, 3, 4], 'b': [0.1, 0.2, 0.3], 'c': ['x', 'y']}
    grid = expand_grid(axes)
    drawn = sample_grid(axes, 5, seed=3)
    assert drawn == sample_grid(axes, 5, seed=3)
    assert drawn != sample_grid(axes, 5, seed=4)
    assert len(drawn) == 5
    positions = [grid.index(s) for s in drawn]  # every draw is a grid combination
    assert positions == sorted(set(positions))
    assert sample_grid(axes, 100, seed=0) == grid
    with pytest.raises(ValueError):
        sample_grid(axes, 0, seed=0)


def test_names_are_stable_short_and_filesystem_safe() -> None:
    setting = {'model.loss.weight.mu': 8, 'model.schedule.patience': None}
    assert setting_name(setting) == 'mu=8__patience=None'
    assert setting_name(dict(setting)) == setting_name(setting)
    assert setting_name({}) == 'base'
    # Keys sharing a last part keep enough of their path to differ.
    assert setting_name({'model.backbone.channels': 16, 'model.head.channels': 8}) == (
        'backbone.channels=16__head.channels=8'
    )
    odd = setting_name({'model.pad': 'a b/c', 'model.size': (1, 2), 'model.lr': -0.5})
    assert odd == 'pad=a-b-c__size=1-2__lr=-0.5'
    assert re.fullmatch(r'[A-Za-z0-9._+=-]+', odd)
    long = setting_name({'model.x': 'v' * 300})
    assert len(long) <= 120 and long == setting_name({'model.x': 'v' * 300})
    # Two settings whose names would collide get distinct, stable hash suffixes.
    names = setting_names([{'model.pad': 'a b'}, {'model.pad': 'a/b'}])
    assert names[0] != names[1] and all(n.startswith('pad=a-b__') for n in names)


def test_test_split_is_refused_unless_reporting() -> None:
    check_split('val', report_test=False)
    check_split('train', report_test=False)
    check_split('test', report_test=True)
    with pytest.raises(ValueError, match='nothing is chosen on test'):
        check_split('test', report_test=False)
