"""dynaseg.tuning.table: the header facts a table records, read back for a re-render."""

from __future__ import annotations

from pathlib import Path

from dynaseg.tuning.rows import SettingRow
from dynaseg.tuning.table import SearchInfo, recorded_provenance, render_table


def _info(machine: str, date: str) -> SearchInfo:
    return SearchInfo(
        title='T',
        config='configs/x.py',
        dataset='BSDS500Dataset',
        split='val',
        images=1,
        ids=['2001'],
        search='1 explicit setting(s)',
        fixed={},
        command='python tools/tune.py --split val',
        machine=machine,
        date=date,
        select='mean',
        report_test=False,
    )


def test_the_recorded_machine_and_date_read_back_as_written(tmp_path: Path) -> None:
    # A machine text holds dots of its own (torch 2.13.0+cpu): only the line's last one goes.
    machine = '2-core CPU (AMD EPYC), 1 torch thread(s) per run; torch 2.13.0+cpu, Python 3.11.7'
    table = tmp_path / 'table.md'
    table.write_text(render_table(_info(machine, '2026-12-03'), [SettingRow('base', {})]))
    assert recorded_provenance(table) == {'machine': machine, 'date': '2026-12-03'}


def test_a_table_not_written_yet_records_nothing(tmp_path: Path) -> None:
    assert recorded_provenance(tmp_path / 'none.md') == {}
    (tmp_path / 'bare.md').write_text('# A page without a header\n\n- Date: 2026-12-03.\n')
    assert recorded_provenance(tmp_path / 'bare.md') == {'date': '2026-12-03'}
