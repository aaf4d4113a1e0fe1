"""Missing evaluation data: a visible skip on a laptop, an error under CI."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import require_data, running_in_ci


@pytest.fixture
def absent_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv('DYNASEG_DATA_ROOT', str(tmp_path / 'absent'))
    return tmp_path / 'absent'


def test_missing_data_skips_outside_ci(absent_root: Path, monkeypatch) -> None:
    monkeypatch.delenv('CI', raising=False)
    with pytest.raises(pytest.skip.Exception, match='real data not found') as err:
        require_data('bsds500', 'groundTruth')
    assert str(absent_root / 'bsds500' / 'groundTruth') in str(err.value)


@pytest.mark.parametrize('value', ['1', 'true', 'yes'])
def test_missing_data_fails_under_ci(absent_root: Path, monkeypatch, value: str) -> None:
    monkeypatch.setenv('CI', value)
    with pytest.raises(pytest.fail.Exception, match='CI is set') as err:
        require_data('cocostuff')
    assert str(absent_root / 'cocostuff') in str(err.value)


@pytest.mark.parametrize(('value', 'expected'), [('', False), ('0', False), ('false', False)])
def test_ci_switched_off_explicitly(monkeypatch, value: str, expected: bool) -> None:
    monkeypatch.setenv('CI', value)
    assert running_in_ci() is expected


def test_present_data_is_returned(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / 'bsds500').mkdir()
    monkeypatch.setenv('DYNASEG_DATA_ROOT', str(tmp_path))
    monkeypatch.setenv('CI', '1')
    assert require_data('bsds500') == tmp_path / 'bsds500'
