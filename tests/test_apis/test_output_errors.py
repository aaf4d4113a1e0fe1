"""A write error that would repeat for every image (a full disk, a read-only output, a permission
error, a file where an output folder should be) stops a folder run at once, in one line, with
its own exit code; the image in hand leaves nothing half-written and a rerun redoes it.

The errors are raised by patched writers, not by chmod or a small file system: the tests run as
root in CI, and chmod does not stop root.
"""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from dynaseg.apis import layout as layout_module
from dynaseg.apis import load_config, segment_folder
from dynaseg.apis.runtime import EXIT_OUTPUT_STOPPED, RunStopped
from dynaseg.models.segmentors.dynaseg import DynaSeg
from dynaseg.testing import piecewise_image
from dynaseg.utils.fileio import REPEATING_WRITE_ERRORS, UnwritableDirectoryError

REPO_ROOT = Path(__file__).resolve().parents[2]
TINY_CONFIG = REPO_ROOT / 'configs' / '_base_' / 'models' / 'dynaseg_cnn.py'
TINY_OPTIONS = {
    'model.backbone.channels': 8,
    'model.backbone.out_channels': 8,
    'model.schedule.max_iters': 3,
    'model.silhouette.enabled': False,
}
STEMS = ['a', 'b', 'c', 'd', 'e']


@pytest.fixture(autouse=True)
def _one_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for seed, stem in enumerate(STEMS):
        rgb = piecewise_image(16, 20, seed=seed)[0]
        (tmp_path / 'in').mkdir(exist_ok=True)
        Image.fromarray(rgb).save(tmp_path / 'in' / f'{stem}.png')
    return tmp_path


@pytest.fixture
def segmented(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the images optimised."""
    calls: list[int] = []
    one, batch = DynaSeg.segment, DynaSeg.segment_batch

    def segment(self, image, *args, **kwargs):
        calls.append(1)
        return one(self, image, *args, **kwargs)

    def segment_batch(self, images, *args, **kwargs):
        calls.extend([1] * len(images))
        return batch(self, images, *args, **kwargs)

    monkeypatch.setattr(DynaSeg, 'segment', segment)
    monkeypatch.setattr(DynaSeg, 'segment_batch', segment_batch)
    return calls


def run(folder: Path, **kwargs):
    cfg = load_config(TINY_CONFIG, TINY_OPTIONS)
    return segment_folder(
        folder / 'in', folder / 'out', cfg, progress=False, log=lambda message: None, **kwargs
    )


def fail_label_map_after(monkeypatch: pytest.MonkeyPatch, good: int, code: int) -> None:
    """The label-map writer succeeds ``good`` times, then fails with ``code``."""
    original = layout_module.save_label_map
    calls: list[int] = []

    def save_label_map(path, labels):
        calls.append(1)
        if len(calls) > good:
            raise OSError(code, 'simulated', str(path))
        original(path, labels)

    monkeypatch.setattr(layout_module, 'save_label_map', save_label_map)


def files(out: Path) -> list[str]:
    return sorted(str(p.relative_to(out)) for p in out.rglob('*') if p.is_file())


@pytest.mark.parametrize('code', sorted(REPEATING_WRITE_ERRORS), ids=errno.errorcode.get)
@pytest.mark.parametrize('batch_size', [1, 2])
def test_repeating_write_error_stops_at_once_and_leaves_no_half_image(
    folder, monkeypatch, segmented, code, batch_size
):
    fail_label_map_after(monkeypatch, 2, code)
    with pytest.raises(RunStopped) as stopped:
        run(folder, batch_size=batch_size)
    assert stopped.value.exit_code == EXIT_OUTPUT_STOPPED == 3
    message = str(stopped.value)
    assert '\n' not in message and REPEATING_WRITE_ERRORS[code] in message
    assert errno.errorcode[code] in message and '2 images done in this run' in message
    assert len(stopped.value.summary.done) == 2
    # Stopped on the third image: nothing after it was optimised (a batch of two is at most
    # one image further), and the third left no record or rendering without its label map.
    assert len(segmented) == 3 + (batch_size == 2)
    out = folder / 'out'
    assert files(out) == [
        *[f'{s}.png' for s in 'ab'],
        'config.json',
        *[f'records/{s}.json' for s in 'ab'],
        *[f'vis/{s}_{kind}' for s in 'ab' for kind in ('color.png', 'overlay.jpg')],
    ]
    monkeypatch.undo()
    resumed = run(folder)
    assert [o.status for o in resumed.outcomes] == ['skipped'] * 2 + ['done'] * 3


def test_file_in_place_of_an_output_folder_mid_run_stops(folder, monkeypatch):
    original = DynaSeg.segment
    calls: list[int] = []

    def segment(self, image, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # something replaces vis/ with a file while the run goes on
            shutil.rmtree(folder / 'out' / 'vis')
            (folder / 'out' / 'vis').write_text('not a folder')
        return original(self, image, *args, **kwargs)

    monkeypatch.setattr(DynaSeg, 'segment', segment)
    with pytest.raises(RunStopped, match='an output folder is not a folder .ENOTDIR.') as stopped:
        run(folder)
    assert len(calls) == 2 and len(stopped.value.summary.done) == 1
    assert str(folder / 'out' / 'vis') in str(stopped.value)
    assert sorted(p.name for p in (folder / 'out' / 'records').iterdir()) == ['a.json']


def test_file_in_place_of_an_output_folder_at_start_refused_before_work(folder, segmented):
    (folder / 'out').mkdir()
    (folder / 'out' / 'records').write_text('not a folder')
    with pytest.raises(UnwritableDirectoryError, match='records'):
        run(folder)
    assert segmented == []


def test_full_disk_while_claiming_stops_before_optimising(folder, monkeypatch, segmented):
    real_open = os.open

    def full_for_claims(path, flags, mode=0o777, **kwargs):
        if str(path).endswith('.claim'):
            raise OSError(errno.ENOSPC, 'No space left on device', str(path))
        return real_open(path, flags, mode, **kwargs)

    monkeypatch.setattr(os, 'open', full_for_claims)
    with pytest.raises(RunStopped, match='disk full.*0 images done'):
        run(folder)
    assert segmented == []


def test_segment_tool_prints_one_line_and_exits_3(folder, monkeypatch, capsys):
    from dynaseg.cli.segment import build_parser as build_segment_parser
    from dynaseg.cli.segment import main as segment_main

    fail_label_map_after(monkeypatch, 1, errno.ENOSPC)
    code = segment_main(
        ['--input_folder', str(folder / 'in'), '--output_folder', str(folder / 'out')]
        + ['--config', str(TINY_CONFIG), '--threads', '1', '--no-progress', '--cfg-options']
        + [f'{key}={value}' for key, value in TINY_OPTIONS.items()]
    )
    err = capsys.readouterr().err
    assert code == EXIT_OUTPUT_STOPPED
    assert err.count('\n') == 1 and err.startswith('error: stopped: no space left')
    assert '1 image done in this run' in err
    assert f'{EXIT_OUTPUT_STOPPED} stopped' in (build_segment_parser().epilog or '')
    assert np.asarray(Image.open(folder / 'out' / 'a.png')).shape == (16, 20)


def test_full_disk_found_by_a_write_names_the_file(folder, monkeypatch):
    """write() and fsync() report ENOSPC without a file name; the stop line still has one."""
    real_fsync, calls = os.fsync, []

    def full(fd):
        calls.append(fd)
        if len(calls) > 1:  # the folder's config.json is written before any image
            raise OSError(errno.ENOSPC, 'No space left on device')
        real_fsync(fd)

    monkeypatch.setattr(os, 'fsync', full)
    with pytest.raises(RunStopped) as stopped:
        run(folder)
    assert str(folder / 'out' / 'records' / 'a.json') in str(stopped.value)
    assert '0 images done' in str(stopped.value)
    monkeypatch.undo()
    assert files(folder / 'out') == ['config.json']


def test_full_disk_before_any_image_is_refused_in_one_line(folder, monkeypatch, segmented):
    def full(fd):
        raise OSError(errno.ENOSPC, 'No space left on device')

    monkeypatch.setattr(os, 'fsync', full)
    with pytest.raises(UnwritableDirectoryError, match=r'cannot write .*config.json: No space'):
        run(folder)
    assert segmented == [] and files(folder / 'out') == []
