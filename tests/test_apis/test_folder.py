"""segment_folder / segment_file: outputs, resuming, and every way an input can be bad."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import signal
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from dynaseg.apis import RunInterrupted, build_segmentor, load_config, segment_file, segment_folder
from dynaseg.apis.folder import NoImagesError, OtherConfigError
from dynaseg.apis.layout import OutputLayout, write_image_outputs
from dynaseg.apis.records import load_record
from dynaseg.engine import OptimizationRecord
from dynaseg.models.segmentors.dynaseg import DynaSeg
from dynaseg.testing import piecewise_image
from dynaseg.utils.fileio import UnwritableDirectoryError, load_label_map, save_label_map

REPO_ROOT = Path(__file__).resolve().parents[2]
# The model config alone (no dataset config needed), shrunk so an image takes milliseconds.
TINY_CONFIG = REPO_ROOT / 'configs' / '_base_' / 'models' / 'dynaseg_cnn.py'
TINY_OPTIONS = {
    'model.backbone.channels': 16,
    'model.backbone.out_channels': 16,
    'model.schedule.max_iters': 5,
    'model.silhouette.enabled': False,
}


@pytest.fixture(autouse=True)
def _one_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def tiny_cfg(**options):
    return load_config(TINY_CONFIG, {**TINY_OPTIONS, **options})


def write_image(
    path: Path, height: int = 24, width: int = 32, mode: str = 'RGB', seed: int = 0
) -> Path:
    """A piecewise image saved in ``mode`` (Pillow converts from RGB) at ``path``."""
    rgb = piecewise_image(height, width, seed=seed)[0]
    path.parent.mkdir(parents=True, exist_ok=True)
    if mode == 'I;16':
        image = Image.fromarray(rgb[..., 0].astype(np.uint16) * 257)
    else:
        image = Image.fromarray(rgb).convert(mode)
    image.save(path)
    return path


def run(input_folder: Path, output_folder: Path, cfg=None, **kwargs):
    return segment_folder(
        input_folder,
        output_folder,
        cfg or tiny_cfg(),
        progress=False,
        log=lambda message: None,
        **kwargs,
    )


def statuses(summary) -> dict[str, str]:
    return {Path(o.image).name: o.status for o in summary.outcomes}


def reasons(summary) -> dict[str, str]:
    return {Path(o.image).name: o.reason for o in summary.failed}


def hidden_files(folder: Path) -> list[Path]:
    return list(folder.rglob('.*'))


def digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob('*'))
        if p.is_file()
    }


def test_outputs_layout_label_map_and_record(tmp_path):
    write_image(tmp_path / 'in' / 'scene.png', 24, 32)
    summary = run(tmp_path / 'in', tmp_path / 'out', save_csv=True)
    assert statuses(summary) == {'scene.png': 'done'} and summary.exit_code == 0
    out = tmp_path / 'out'
    labels = load_label_map(out / 'scene.png')
    assert labels.shape == (24, 32)
    assert Image.open(out / 'scene.png').mode == 'L'  # single-channel 8-bit
    np.testing.assert_array_equal(load_label_map(out / 'scene.csv'), labels)
    assert Image.open(out / 'vis' / 'scene_color.png').size == (32, 24)
    assert Image.open(out / 'vis' / 'scene_overlay.jpg').size == (32, 24)
    record = json.loads((out / 'records' / 'scene.json').read_text())
    assert record['iterations'] == 5 and record['stop_reason'] == 'max_iters'
    assert record['num_labels'] == len(np.unique(labels)) == summary.done[0].num_labels
    assert record['seed'] == 0 and record['config'] == 'dynaseg_cnn' and record['rank'] == 0
    assert len(record['label_counts']) == len(record['losses']) == 5
    assert record['pid'] == os.getpid() and record['peak_rss_mb'] > 0
    assert record['model_config']['backbone']['channels'] == 16
    assert hidden_files(out) == []


def test_record_holds_every_engine_record_field(tmp_path):
    """Segment-count control's fields reach the JSON record, and so does any field the engine
    adds later: the record is serialised generically."""
    write_image(tmp_path / 'in' / 'scene.png', 24, 32)
    cfg = tiny_cfg(**{'model.num_segments': 3})
    assert run(tmp_path / 'in', tmp_path / 'out', cfg).exit_code == 0
    record = json.loads((tmp_path / 'out' / 'records' / 'scene.json').read_text())
    assert {f.name for f in dataclasses.fields(OptimizationRecord)} <= set(record)
    assert record['num_segments'] == 3 == record['num_labels']
    assert record['warnings'] == [] and record['seed_runs'] == []
    assert len(record['label_counts']) == record['iterations']

    @dataclasses.dataclass
    class Extended(OptimizationRecord):
        lever: dict = dataclasses.field(default_factory=dict)

    extended = Extended(iterations=1, label_counts=[4], losses=[0.5], lever={'k': 2})
    extended.warnings.append('careful')
    layout = OutputLayout(tmp_path / 'direct')
    layout.create()
    rgb = piecewise_image(8, 10)[0]
    write_image_outputs(
        layout, 'x.png', 'x', rgb, np.zeros((8, 10), np.int64), extended, 0,
        visualize=False, save_csv=False,
    )  # fmt: skip
    written = json.loads(layout.record('x').read_text())
    assert written['lever'] == {'k': 2} and written['warnings'] == ['careful']
    assert written['label_counts'] == [4] and written['losses'] == [0.5]
    assert 'history' not in written


def test_record_series_are_plotted_from_the_record_itself(tmp_path):
    from dynaseg.visualization import plot_history

    write_image(tmp_path / 'in' / 'scene.png', 24, 32)
    run(tmp_path / 'in', tmp_path / 'out')
    record = load_record(tmp_path / 'out' / 'records' / 'scene.json')
    plot_history({'default': record}, tmp_path / 'curves.png')
    assert Image.open(tmp_path / 'curves.png').size[0] > 300


def test_old_records_are_read_under_the_engine_names(tmp_path):
    """Records written before the series took the engine's names keep them under history."""
    old = tmp_path / 'old.json'
    old.write_text(json.dumps({'iterations': 2, 'history': {'n_labels': [5, 4], 'loss': [2, 1]}}))
    assert load_record(old) == {'iterations': 2, 'label_counts': [5, 4], 'losses': [2, 1]}
    new = tmp_path / 'new.json'
    new.write_text(json.dumps({'iterations': 1, 'label_counts': [3], 'losses': [0.5]}))
    assert load_record(new) == {'iterations': 1, 'label_counts': [3], 'losses': [0.5]}


def test_visualize_false_leaves_no_vis_folder(tmp_path):
    write_image(tmp_path / 'in' / 'a.png')
    run(tmp_path / 'in', tmp_path / 'out', visualize=False)
    assert (tmp_path / 'out' / 'a.png').is_file()
    assert sorted(p.name for p in (tmp_path / 'out').iterdir()) == [
        'a.png',
        'config.json',
        'records',
    ]


def test_auto_mode_label_ids_are_contiguous_and_score_the_same(tmp_path, monkeypatch):
    """The optimiser's ids are response channels (e.g. 3 10 17 61); the written map holds 0..n-1
    in the same order, and calculate_mIOU's scoring reads it exactly as it read the raw ids."""
    from dynaseg.evaluation.kim_folder import pair_folders, score_pairs

    write_image(tmp_path / 'in' / 'a.png', 24, 32)
    raw = np.full((24, 32), 17, np.int64)
    raw[:, 8:] = 61
    raw[12:, :] = 10
    raw[:4, :4] = 3
    original = DynaSeg.segment

    def sparse_ids(self, image, *args, **kwargs):
        return raw, original(self, image, *args, **kwargs)[1]

    monkeypatch.setattr(DynaSeg, 'segment', sparse_ids)
    summary = run(tmp_path / 'in', tmp_path / 'out')
    written = load_label_map(tmp_path / 'out' / 'a.png')
    np.testing.assert_array_equal(written, np.searchsorted([3, 10, 17, 61], raw))
    assert summary.done[0].num_labels == 4
    (tmp_path / 'raw').mkdir()
    save_label_map(tmp_path / 'raw' / 'a.png', raw)
    (tmp_path / 'gt').mkdir()
    np.savetxt(tmp_path / 'gt' / 'a-1.csv', np.arange(24 * 32).reshape(24, 32) // 200, '%d', ',')
    scores = [
        score_pairs(pair_folders(tmp_path / folder, tmp_path / 'gt').pairs)['mIoU']
        for folder in ('out', 'raw')
    ]
    assert scores[0] == scores[1] > 0


def test_empty_input_folder_is_an_error_naming_it(tmp_path):
    (tmp_path / 'in').mkdir()
    (tmp_path / 'in' / 'notes.txt').write_text('not an image')
    with pytest.raises(NoImagesError, match="no images to segment in .*in'"):
        run(tmp_path / 'in', tmp_path / 'out')
    assert not (tmp_path / 'out').exists()


def test_segment_tool_on_an_empty_folder_exits_2_with_one_line(tmp_path, capsys):
    from dynaseg.cli.segment import main as segment_main

    (tmp_path / 'in').mkdir()
    code = segment_main(
        ['--input_folder', str(tmp_path / 'in'), '--output_folder', str(tmp_path / 'out')]
    )
    err = capsys.readouterr().err
    assert code == 2 and err.count('\n') == 1 and 'no images to segment' in err


def test_progress_is_one_line_per_image_when_not_a_terminal(tmp_path, capsys):
    for name in ('a.png', 'b.png'):
        write_image(tmp_path / 'in' / name)
    segment_folder(tmp_path / 'in', tmp_path / 'out', tiny_cfg(), log=lambda message: None)
    captured = capsys.readouterr()
    assert '\r' not in captured.err + captured.out
    lines = [line for line in captured.out.splitlines() if line.startswith('[')]
    assert [line.split(':')[0] for line in lines] == ['[1/2] a', '[2/2] b']
    assert lines[0].endswith(' s') and 'done, ' in lines[0]


def test_segment_file_api_writes_outputs_with_chosen_stem(tmp_path):
    image = write_image(tmp_path / 'x.png', 20, 30)
    layout = OutputLayout(tmp_path / 'out')
    layout.create()
    model = build_segmentor(tiny_cfg())
    outcome = segment_file(image, 'custom', model, layout.root, visualize=False)
    assert outcome.status == 'done' and outcome.iterations == 5
    assert load_label_map(layout.label_map('custom')).shape == (20, 30)
    assert layout.record('custom').is_file() and not layout.color('custom').exists()


def test_zero_byte_image_reported_and_run_continues(tmp_path):
    (tmp_path / 'in').mkdir()
    (tmp_path / 'in' / 'empty.jpg').write_bytes(b'')
    write_image(tmp_path / 'in' / 'good.png')
    summary = run(tmp_path / 'in', tmp_path / 'out')
    assert statuses(summary) == {'empty.jpg': 'failed', 'good.png': 'done'}
    assert reasons(summary)['empty.jpg'] == 'empty file (0 bytes)'
    assert summary.exit_code == 1 and not (tmp_path / 'out' / 'empty.png').exists()
    assert 'empty.jpg: empty file (0 bytes)' in summary.format()


def test_truncated_image_reported(tmp_path):
    data = write_image(tmp_path / 'full.jpg', 64, 64).read_bytes()
    (tmp_path / 'in').mkdir()
    (tmp_path / 'in' / 'cut.jpg').write_bytes(data[: len(data) // 2])
    summary = run(tmp_path / 'in', tmp_path / 'out')
    assert statuses(summary) == {'cut.jpg': 'failed'}
    assert 'truncated' in reasons(summary)['cut.jpg'].lower()
    assert '\n' not in reasons(summary)['cut.jpg']


def test_corrupted_image_reported(tmp_path):
    (tmp_path / 'in').mkdir()
    (tmp_path / 'in' / 'noise.png').write_bytes(os.urandom(500))
    write_image(tmp_path / 'in' / 'ok.png')
    summary = run(tmp_path / 'in', tmp_path / 'out')
    assert statuses(summary) == {'noise.png': 'failed', 'ok.png': 'done'}
    assert reasons(summary)['noise.png'] == 'not an image file Pillow can identify'


def test_non_image_file_skipped_not_failed(tmp_path):
    write_image(tmp_path / 'in' / 'a.png')
    (tmp_path / 'in' / 'README.txt').write_text('notes')
    messages: list[str] = []
    summary = segment_folder(
        tmp_path / 'in', tmp_path / 'out', tiny_cfg(), progress=False, log=messages.append
    )
    assert statuses(summary) == {'a.png': 'done'} and summary.exit_code == 0
    assert summary.not_images == [str(tmp_path / 'in' / 'README.txt')]
    assert messages == [f'skipped (not an image): {tmp_path / "in" / "README.txt"}']


def test_grayscale_16bit_rgba_palette_cmyk_inputs_segmented(tmp_path):
    files = {
        'grey.png': 'L',
        'grey16.png': 'I;16',
        'grey_alpha.png': 'LA',
        'rgba.png': 'RGBA',
        'palette.png': 'P',
        'cmyk.jpg': 'CMYK',
        'tiff.tif': 'RGB',
    }
    for name, mode in files.items():
        write_image(tmp_path / 'in' / name, 18, 26, mode=mode)
    summary = run(tmp_path / 'in', tmp_path / 'out')
    assert statuses(summary) == dict.fromkeys(files, 'done')
    for outcome in summary.done:
        assert load_label_map(tmp_path / 'out' / f'{outcome.stem}.png').shape == (18, 26)


@pytest.mark.parametrize(
    'size', [(2, 2), (1, 40), (40, 1), (3, 200)], ids=['2x2', '1x40', '40x1', '3x200']
)
def test_tiny_and_thin_images_get_label_map_of_input_size(tmp_path, size):
    write_image(tmp_path / 'in' / 'thin.png', *size)
    summary = run(tmp_path / 'in', tmp_path / 'out')
    assert statuses(summary) == {'thin.png': 'done'}, summary.format()
    assert load_label_map(tmp_path / 'out' / 'thin.png').shape == size


def test_one_pixel_image_gets_label_map(tmp_path):
    write_image(tmp_path / 'in' / 'dot.png', 1, 1)
    summary = run(tmp_path / 'in', tmp_path / 'out')
    assert statuses(summary) == {'dot.png': 'done'}, summary.format()
    assert load_label_map(tmp_path / 'out' / 'dot.png').shape == (1, 1)


def test_image_over_pixel_limit_reported_naming_limit(tmp_path):
    write_image(tmp_path / 'in' / 'big.png', 30, 40)
    write_image(tmp_path / 'in' / 'small.png', 10, 10)
    summary = run(tmp_path / 'in', tmp_path / 'out', max_image_pixels=500)
    assert statuses(summary) == {'big.png': 'failed', 'small.png': 'done'}
    assert 'limit of 500 pixels (max_pixels)' in reasons(summary)['big.png']


def test_names_with_spaces_and_non_ascii(tmp_path):
    names = ['my photo.png', 'café ünïcode.jpg', '日本.png']
    for name in names:
        write_image(tmp_path / 'in' / name)
    summary = run(tmp_path / 'in', tmp_path / 'out')
    assert statuses(summary) == dict.fromkeys(names, 'done')
    for name in names:
        stem = Path(name).stem
        assert (tmp_path / 'out' / f'{stem}.png').is_file()
        assert (tmp_path / 'out' / 'records' / f'{stem}.json').is_file()


def test_same_stem_inputs_get_distinct_outputs(tmp_path):
    write_image(tmp_path / 'in' / 'a.jpg', 20, 20)
    write_image(tmp_path / 'in' / 'a.png', 24, 32)
    summary = run(tmp_path / 'in', tmp_path / 'out')
    assert {o.stem for o in summary.done} == {'a_jpg', 'a_png'}
    assert load_label_map(tmp_path / 'out' / 'a_jpg.png').shape == (20, 20)
    assert load_label_map(tmp_path / 'out' / 'a_png.png').shape == (24, 32)
    assert not (tmp_path / 'out' / 'a.png').exists()


def test_missing_output_folder_created(tmp_path):
    write_image(tmp_path / 'in' / 'a.png')
    run(tmp_path / 'in', tmp_path / 'deep' / 'new' / 'out')
    assert (tmp_path / 'deep' / 'new' / 'out' / 'a.png').is_file()


def test_unwritable_output_refused_before_work(tmp_path, monkeypatch):
    write_image(tmp_path / 'in' / 'a.png')
    (tmp_path / 'file').write_text('a regular file')

    def no_model(*args, **kwargs):
        raise AssertionError('the model must not be built for an unusable output folder')

    monkeypatch.setattr('dynaseg.apis.folder.build_segmentor', no_model)
    with pytest.raises(UnwritableDirectoryError, match='cannot create output folder'):
        run(tmp_path / 'in', tmp_path / 'file' / 'out')


def test_output_inside_input_not_reread_and_input_unchanged(tmp_path):
    write_image(tmp_path / 'in' / 'a.png')
    write_image(tmp_path / 'in' / 'b.jpg')
    before = digest(tmp_path / 'in')
    first = run(tmp_path / 'in', tmp_path / 'in' / 'seg')
    # The second run must not take seg/a.png or seg/vis/*.png for inputs.
    second = run(tmp_path / 'in', tmp_path / 'in' / 'seg')
    assert statuses(first) == {'a.png': 'done', 'b.jpg': 'done'}
    assert statuses(second) == {'a.png': 'skipped', 'b.jpg': 'skipped'}
    after = {k: v for k, v in digest(tmp_path / 'in').items() if not k.startswith('seg')}
    assert after == before


@pytest.mark.parametrize('spelling', ['same', 'dot-dot'])
def test_output_equal_to_input_refused(tmp_path, spelling):
    write_image(tmp_path / 'in' / 'a.png')
    output = tmp_path / 'in' if spelling == 'same' else tmp_path / 'in' / '..' / 'in'
    before = digest(tmp_path / 'in')
    with pytest.raises(ValueError, match='is the input folder'):
        run(tmp_path / 'in', output)
    assert digest(tmp_path / 'in') == before


def test_missing_input_folder_is_an_error(tmp_path):
    with pytest.raises(NotADirectoryError, match='does not exist'):
        run(tmp_path / 'nowhere', tmp_path / 'out')


def test_non_finite_loss_reported_and_no_label_map_written(tmp_path):
    write_image(tmp_path / 'in' / 'a.png')
    summary = run(tmp_path / 'in', tmp_path / 'out', cfg=tiny_cfg(**{'model.optimizer.lr': 1e30}))
    assert statuses(summary) == {'a.png': 'failed'}
    assert reasons(summary)['a.png'].startswith('NonFiniteLossError: loss became non-finite')
    assert not (tmp_path / 'out' / 'a.png').exists()
    assert not (tmp_path / 'out' / 'records' / 'a.json').exists()


def test_memory_error_reported_and_run_continues(tmp_path, monkeypatch):
    write_image(tmp_path / 'in' / 'a.png', 24, 31)
    write_image(tmp_path / 'in' / 'b.png', 24, 32)
    original = DynaSeg.segment

    def segment(self, image, *args, **kwargs):
        if image.shape[-1] == 31:
            raise MemoryError()
        return original(self, image, *args, **kwargs)

    monkeypatch.setattr(DynaSeg, 'segment', segment)
    summary = run(tmp_path / 'in', tmp_path / 'out')
    assert statuses(summary) == {'a.png': 'failed', 'b.png': 'done'}
    assert reasons(summary)['a.png'] == 'MemoryError'


def test_resume_skips_done_images_and_overwrite_redoes(tmp_path):
    for name in ('a.png', 'b.png'):
        write_image(tmp_path / 'in' / name)
    run(tmp_path / 'in', tmp_path / 'out')
    marker = tmp_path / 'out' / 'a.png'
    os.utime(marker, (1, 1))
    resumed = run(tmp_path / 'in', tmp_path / 'out')
    assert statuses(resumed) == {'a.png': 'skipped', 'b.png': 'skipped'}
    assert resumed.mean_seconds is None and marker.stat().st_mtime == 1
    redone = run(tmp_path / 'in', tmp_path / 'out', overwrite=True)
    assert statuses(redone) == {'a.png': 'done', 'b.png': 'done'}
    assert marker.stat().st_mtime > 1


def test_resuming_with_another_model_config_is_refused_before_any_work(tmp_path):
    for name in ('a.png', 'b.png'):
        write_image(tmp_path / 'in' / name)
    run(tmp_path / 'in', tmp_path / 'out')
    (tmp_path / 'out' / 'b.png').unlink()  # b still to do: nothing may run
    before = digest(tmp_path / 'out')
    other = tiny_cfg(**{'model.seed': 7})
    with pytest.raises(OtherConfigError, match=r'holds label maps of another model config'):
        run(tmp_path / 'in', tmp_path / 'out', cfg=other)
    assert digest(tmp_path / 'out') == before
    # The same config resumes; --overwrite redoes everything with the other one.
    assert statuses(run(tmp_path / 'in', tmp_path / 'out'))['a.png'] == 'skipped'
    redone = run(tmp_path / 'in', tmp_path / 'out', cfg=other, overwrite=True)
    assert set(statuses(redone).values()) == {'done'}
    assert load_record(tmp_path / 'out' / 'records' / 'a.json')['seed'] == 7


def test_a_folder_made_before_config_json_with_another_config_is_refused(tmp_path):
    write_image(tmp_path / 'in' / 'a.png')
    run(tmp_path / 'in', tmp_path / 'out')
    (tmp_path / 'out' / 'config.json').unlink()  # as a version before it left the folder
    other = tiny_cfg(**{'model.seed': 7})
    with pytest.raises(OtherConfigError, match=r'1 of the 1 label maps .* another model config'):
        run(tmp_path / 'in', tmp_path / 'out', cfg=other)
    assert not (tmp_path / 'out' / 'config.json').exists()
    assert statuses(run(tmp_path / 'in', tmp_path / 'out'))['a.png'] == 'skipped'


def test_segment_tool_resuming_with_another_config_exits_2_with_one_line(tmp_path, capsys):
    from dynaseg.cli.segment import main as segment_main

    write_image(tmp_path / 'in' / 'a.png')
    run(tmp_path / 'in', tmp_path / 'out')
    argv = ['--input-folder', str(tmp_path / 'in'), '--work-dir', str(tmp_path / 'out')]
    argv += ['--config', str(TINY_CONFIG), '--seed', '3']
    argv += ['--cfg-options', *(f'{k}={v}' for k, v in TINY_OPTIONS.items())]
    code = segment_main(argv)
    err = capsys.readouterr().err
    assert code == 2 and err.count('\n') == 1 and '--overwrite' in err


def test_missing_side_outputs_regenerated_on_resume(tmp_path):
    write_image(tmp_path / 'in' / 'a.png')
    run(tmp_path / 'in', tmp_path / 'out', visualize=False)
    summary = run(tmp_path / 'in', tmp_path / 'out', save_csv=True)
    assert statuses(summary) == {'a.png': 'skipped'}
    labels = load_label_map(tmp_path / 'out' / 'a.png')
    np.testing.assert_array_equal(load_label_map(tmp_path / 'out' / 'a.csv'), labels)
    assert (tmp_path / 'out' / 'vis' / 'a_color.png').is_file()
    assert (tmp_path / 'out' / 'vis' / 'a_overlay.jpg').is_file()


@pytest.mark.parametrize('signum', [signal.SIGINT, signal.SIGTERM], ids=['SIGINT', 'SIGTERM'])
def test_interrupt_keeps_partial_summary_and_rerun_resumes(tmp_path, monkeypatch, signum):
    for name in ('a.png', 'b.png', 'c.png'):
        write_image(tmp_path / 'in' / name)
    original = DynaSeg.segment
    calls = []

    def segment(self, image, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RunInterrupted(signum) if signum == signal.SIGTERM else KeyboardInterrupt()
        return original(self, image, *args, **kwargs)

    monkeypatch.setattr(DynaSeg, 'segment', segment)
    with pytest.raises(RunInterrupted) as caught:
        run(tmp_path / 'in', tmp_path / 'out')
    assert caught.value.exit_code == 128 + signum
    assert statuses(caught.value.summary) == {'a.png': 'done'}
    assert hidden_files(tmp_path / 'out') == []
    monkeypatch.setattr(DynaSeg, 'segment', original)
    resumed = run(tmp_path / 'in', tmp_path / 'out')
    assert statuses(resumed) == {'a.png': 'skipped', 'b.png': 'done', 'c.png': 'done'}
