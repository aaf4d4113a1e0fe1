"""What a run finds in its output folder: records read fresh, whatever was read before."""

from __future__ import annotations

from pathlib import Path

from test_folder import run, tiny_cfg, write_image

from dynaseg.apis.layout import OutputLayout
from dynaseg.apis.resume import RecordCache, kept_stems, read_record, run_identity, why_not_done


def test_an_image_finished_by_another_worker_while_planning_counts_as_done(tmp_path):
    """The record was missing when first looked for; the label map appeared next (another
    worker finished the image): it is judged with the record written before it."""
    image = write_image(tmp_path / 'in' / 'a.png')
    layout = OutputLayout(tmp_path / 'out')
    layout.create()
    cache: RecordCache = {}
    assert kept_stems(layout, [image], cache) == {} and read_record(layout, 'a', cache) is None
    run(tmp_path / 'in', tmp_path / 'out')  # the other worker
    identity = run_identity(tiny_cfg(), guided=False)
    assert why_not_done(layout, image, 'a', identity, cache=cache) is None
    assert kept_stems(layout, [image], cache) == {Path(image): 'a'}


def test_read_record_parses_a_record_again_only_when_its_file_changed(tmp_path):
    write_image(tmp_path / 'in' / 'a.png')
    run(tmp_path / 'in', tmp_path / 'out')
    layout = OutputLayout(tmp_path / 'out')
    cache: RecordCache = {}
    first = read_record(layout, 'a', cache)
    assert first is not None and read_record(layout, 'a', cache) is first
    layout.record('a').write_text('{"image": "other.png"}')
    assert read_record(layout, 'a', cache) == {'image': 'other.png'}
    layout.record('a').unlink()
    assert read_record(layout, 'a', cache) is None
