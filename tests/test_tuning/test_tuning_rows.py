"""dynaseg.tuning.rows: the best row, and a work dir that belongs to another setting."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dynaseg.tuning.rows import SettingRow, best_row, read_row

IDS = ['2001', '2002', '2003']


def test_best_row_uses_the_criterion_and_skips_incomplete_rows() -> None:
    def row(name: str, status: str, all_: float, voi: float) -> SettingRow:
        scores = {'all': all_, 'fine': all_ - 0.1, 'coarse': all_ + 0.1, 'VOI': voi}
        return SettingRow(name=name, overrides={}, status=status, scores=scores)

    rows = [row('a', 'done', 0.30, 2.0), row('b', 'done', 0.32, 2.5), row('c', 'partial', 0.9, 1)]
    assert best_row(rows).name == 'b'
    assert best_row(rows).mean == pytest.approx(0.32)
    assert best_row(rows, 'VOI').name == 'a'  # lower is better
    assert best_row([rows[2]]) is None


def test_a_work_dir_of_another_setting_is_not_read_as_this_one(tmp_path: Path) -> None:
    columns = {'all': ('all', 'mIoU')}
    assert read_row(tmp_path / 'mu=8', 'mu=8', {'mu': 8}, IDS, columns).status == 'not run'
    (tmp_path / 'mu=8').mkdir()
    (tmp_path / 'mu=8' / 'setting.json').write_text(json.dumps({'overrides': {'mu': '9'}}))
    row = read_row(tmp_path / 'mu=8', 'mu=8', {'mu': 8}, IDS, columns)
    assert row.status == 'failed' and 'holds another setting' in row.reason
