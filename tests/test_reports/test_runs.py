"""dynaseg.reports.runs: a report spec's runs and their configs."""

from __future__ import annotations

from pathlib import Path

from dynaseg.reports import labels, runs
from dynaseg.reports.provenance import REPO_ROOT


def test_default_report_leads_with_the_tools_default_config() -> None:
    from dynaseg.apis import DEFAULT_CONFIG

    first = runs.load_spec('default').runs[0]
    assert Path(DEFAULT_CONFIG) == REPO_ROOT / first.config
    assert labels.levers_label({'backbone': {}, 'loss': {}}) == "none (authors' constants)"
