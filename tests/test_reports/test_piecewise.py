"""tools/piecewise_check.py: held-out piecewise pictures scored per config, table written."""

from __future__ import annotations

from pathlib import Path

import pytest

from dynaseg.cli import piecewise_check
from dynaseg.reports.piecewise import score_config

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_scores_each_config_on_the_same_seeds_and_writes_the_table(tmp_path: Path) -> None:
    short = tmp_path / 'short.py'  # the default config, a few iterations: a quick check
    default = REPO_ROOT / 'configs/dynaseg/dynaseg-fsf_cnn-m2_fast_bsds500_replicate-edge.py'
    short.write_text(
        f"_base_ = ['{default}']\n"
        'model = dict(schedule=dict(max_iters=3, patience=2), silhouette=dict(enabled=False))\n'
    )
    out = tmp_path / 'docs' / 'piecewise.md'
    argv = ['--config', str(short), '--images', '2', '--first-seed', '1000', '--out', str(out)]
    assert piecewise_check.main(argv) == 0
    text = out.read_text()
    row = next(line for line in text.splitlines() if 'short.py' in line and '/2 |' in line)
    cells = [c.strip() for c in row.strip('|').split('|')]
    mean, low = float(cells[1]), float(cells[2])
    assert 0 < low <= mean <= 1 and cells[3].endswith('/2')
    assert 'seeds 1000-1001' in text and '| 1000 | 4 |' in text  # seed 1000 has 4 regions
    rows = score_config(str(short), range(1001, 1002))
    assert rows[0]['seed'] == 1001 and rows[0]['iterations'] <= 3 and rows[0]['labels'] >= 1
    with pytest.raises(SystemExit):
        piecewise_check.main(['--config', str(tmp_path / 'missing.py')])
