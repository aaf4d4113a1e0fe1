"""dynaseg.reports.template: the template holds every block the report fills."""

from __future__ import annotations

import pytest

from dynaseg.reports import runs, template


def test_template_has_every_block_the_report_fills() -> None:
    blocks = template.template_blocks()
    assert {f'section-{d}' for d in runs.DATASETS} <= set(blocks)
    assert {'schedule-fast', 'schedule-capped', 'schedule-full', 'report', 'figures'} <= set(blocks)
    assert all(block.is_valid() for block in blocks.values())
    assert blocks['report'].get_identifiers() == [
        'title',
        'generated_for',
        'command',
        'date',
        'score_only',
        'machine',
        'sections',
        'differences',
        'regenerate',
        'commands',
        'figures',
    ]
    with pytest.raises(KeyError):  # a placeholder left without a value is an error
        template.fill('differences-voc-coco')
