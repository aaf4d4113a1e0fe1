"""--batch-size in the folder and dataset runners: same results as one image at a time, buckets,
resume, failures kept per image (dynaseg.apis.batching)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from dynaseg.apis import build_segmentor, load_config, segment_folder
from dynaseg.apis.batching import ImageJob, batch_fallback_reason, header_size, segment_jobs
from dynaseg.apis.dataset_runner import run_dataset
from dynaseg.cli.evaluate import build_parser as build_dataset_parser
from dynaseg.cli.segment import build_parser as build_segment_parser
from dynaseg.cli.segment import main as segment_main
from dynaseg.engine import NonFiniteBatchError
from dynaseg.models.segmentors.dynaseg import DynaSeg
from dynaseg.testing import piecewise_image
from dynaseg.utils.fileio import load_label_map

REPO_ROOT = Path(__file__).resolve().parents[2]
TINY_CONFIG = REPO_ROOT / 'configs' / '_base_' / 'models' / 'dynaseg_cnn.py'
BSDS_CONFIG = REPO_ROOT / 'configs' / 'dynaseg' / 'dynaseg-fsf_cnn-m2_fast_bsds500.py'
#: 20 iterations at the input size for every image (no stop rule fires), 16 channels.
TWENTY_ITERATIONS = {
    'model.backbone.channels': 16,
    'model.backbone.out_channels': 16,
    'model.schedule.max_iters': 20,
    'model.schedule.min_labels': 0,
    'model.silhouette.enabled': False,
}
#: Landscape, portrait and one odd size: three buckets (3 + 2 + 1 images).
SIZES = {
    'a.png': (48, 64),
    'b.png': (64, 48),
    'c.png': (48, 64),
    'd.png': (48, 64),
    'e.png': (64, 48),
    'f.png': (40, 40),
}


@pytest.fixture(autouse=True)
def _one_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def tiny_cfg(**options):
    return load_config(TINY_CONFIG, {**TWENTY_ITERATIONS, **options})


def write_images(folder: Path, sizes: dict[str, tuple[int, int]] = SIZES) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for seed, (name, (height, width)) in enumerate(sizes.items()):
        noise = [0, 8, 30, 16][seed % 4]  # different label counts per image
        image = piecewise_image(height, width, noise=noise, seed=seed)[0]
        Image.fromarray(image).save(folder / name)
    return folder


def run(input_folder: Path, output_folder: Path, cfg=None, **kwargs):
    return segment_folder(
        input_folder,
        output_folder,
        cfg or tiny_cfg(),
        progress=False,
        log=lambda message: None,
        **kwargs,
    )


def record(folder: Path, stem: str) -> dict:
    return json.loads((folder / 'records' / f'{stem}.json').read_text())


def spy_batches(monkeypatch) -> list[list[tuple[int, ...]]]:
    """Record the image shapes of every DynaSeg.segment_batch call."""
    calls: list[list[tuple[int, ...]]] = []
    original = DynaSeg.segment_batch

    def spy(self, images, *args, **kwargs):
        calls.append([tuple(image.shape) for image in images])
        return original(self, images, *args, **kwargs)

    monkeypatch.setattr(DynaSeg, 'segment_batch', spy)
    return calls


def test_batched_folder_run_matches_one_at_a_time(tmp_path, monkeypatch):
    inputs = write_images(tmp_path / 'in')
    single = run(inputs, tmp_path / 'one', batch_size=1)
    calls = spy_batches(monkeypatch)
    batched = run(inputs, tmp_path / 'batch', batch_size=4)
    assert single.exit_code == batched.exit_code == 0
    assert {o.status for o in batched.outcomes} == {'done'}
    for name in SIZES:
        stem = Path(name).stem
        a = load_label_map(tmp_path / 'one' / f'{stem}.png')
        b = load_label_map(tmp_path / 'batch' / f'{stem}.png')
        assert a.shape == b.shape == SIZES[name]
        assert (a == b).mean() >= 0.99, stem
        ra, rb = record(tmp_path / 'one', stem), record(tmp_path / 'batch', stem)
        assert ra['iterations'] == rb['iterations'] == 20
        assert ra['stop_reason'] == rb['stop_reason'] == 'max_iters'
        assert ra['seed'] == rb['seed'] == 0
        assert max(abs(x - y) for x, y in zip(ra['label_counts'], rb['label_counts'])) <= 1
        # Side outputs and the record are written per image, as without batching.
        assert (tmp_path / 'batch' / 'vis' / f'{stem}_color.png').is_file()
        assert 'batch_size' not in ra
    # Buckets of one size, at most 4 images each; the 40x40 image alone runs unbatched.
    assert sorted(len(c) for c in calls) == [2, 3]
    assert all(len(set(shapes)) == 1 for shapes in calls)
    assert {shapes[0][-2:] for shapes in calls} == {(48, 64), (64, 48)}
    assert record(tmp_path / 'batch', 'a')['batch_size'] == 3
    assert record(tmp_path / 'batch', 'b')['batch_size'] == 2
    assert 'batch_size' not in record(tmp_path / 'batch', 'f')


def test_batch_size_caps_each_bucket_and_config_key_is_read(tmp_path, monkeypatch):
    inputs = write_images(tmp_path / 'in')
    calls = spy_batches(monkeypatch)
    run(inputs, tmp_path / 'out', cfg=tiny_cfg(batch_size=2, **{'model.schedule.max_iters': 2}))
    # Landscape bucket of 3 -> 2 + 1 (the one alone runs unbatched), portrait bucket of 2 -> 2.
    assert sorted(len(c) for c in calls) == [2, 2]


def test_resume_with_batches_skips_done_images(tmp_path, monkeypatch):
    inputs = write_images(tmp_path / 'in')
    cfg = tiny_cfg(**{'model.schedule.max_iters': 3})
    first = run(inputs, tmp_path / 'out', cfg=cfg, batch_size=3)
    assert {o.status for o in first.outcomes} == {'done'}
    (tmp_path / 'out' / 'a.png').unlink()
    (tmp_path / 'out' / 'c.png').unlink()
    calls = spy_batches(monkeypatch)
    second = run(inputs, tmp_path / 'out', cfg=cfg, batch_size=3)
    status = {Path(o.image).stem: o.status for o in second.outcomes}
    assert status == {
        'a': 'done',
        'b': 'skipped',
        'c': 'done',
        'd': 'skipped',
        'e': 'skipped',
        'f': 'skipped',
    }
    assert calls == [[(1, 3, 48, 64)] * 2]  # only the two removed images, together


def test_diverged_image_fails_alone_and_its_batch_is_written(tmp_path, monkeypatch):
    inputs = write_images(tmp_path / 'in')
    original = DynaSeg.segment_batch

    def second_diverges(self, images, *args, **kwargs):
        results = original(self, images, *args, **kwargs)
        results[1] = (None, results[1][1])
        raise NonFiniteBatchError([1], results)

    monkeypatch.setattr(DynaSeg, 'segment_batch', second_diverges)
    cfg = tiny_cfg(**{'model.schedule.max_iters': 2})
    summary = run(inputs, tmp_path / 'out', cfg=cfg, batch_size=4)
    status = {Path(o.image).stem: o.status for o in summary.outcomes}
    # Buckets in first-seen order: [a, c, d] (c second) and [b, e] (e second).
    assert status == {
        'a': 'done',
        'b': 'done',
        'c': 'failed',
        'd': 'done',
        'e': 'failed',
        'f': 'done',
    }
    assert all('non-finite' in o.reason for o in summary.failed)
    assert not (tmp_path / 'out' / 'c.png').exists()
    assert (tmp_path / 'out' / 'd.png').is_file() and (
        tmp_path / 'out' / 'records' / 'd.json'
    ).is_file()
    assert summary.exit_code == 1


def test_unreadable_image_fails_alone_and_failed_batch_is_retried_one_by_one(tmp_path, monkeypatch):
    inputs = write_images(
        tmp_path / 'in', {'a.png': (48, 64), 'b.png': (48, 64), 'c.png': (48, 64)}
    )
    # A truncated PNG with a valid header: same bucket as the others, fails when decoded.
    data = (inputs / 'b.png').read_bytes()
    (inputs / 'b.png').write_bytes(data[: len(data) // 2])
    assert header_size(inputs / 'b.png') == (48, 64)

    def out_of_memory(self, images, *args, **kwargs):
        raise MemoryError('whole batch too large')

    monkeypatch.setattr(DynaSeg, 'segment_batch', out_of_memory)
    cfg = tiny_cfg(**{'model.schedule.max_iters': 2})
    summary = run(inputs, tmp_path / 'out', cfg=cfg, batch_size=3)
    status = {Path(o.image).stem: o.status for o in summary.outcomes}
    assert status == {'a': 'done', 'b': 'failed', 'c': 'done'}
    assert (tmp_path / 'out' / 'a.png').is_file() and (tmp_path / 'out' / 'c.png').is_file()


def test_batch_size_one_is_the_default_path(tmp_path, monkeypatch):
    inputs = write_images(tmp_path / 'in', {'a.png': (48, 64), 'b.png': (48, 64)})
    monkeypatch.setattr(DynaSeg, 'segment_batch', None)  # never called with batch size 1
    common = [
        '--input_folder',
        str(inputs),
        '--config',
        str(TINY_CONFIG),
        '--no-progress',
        '--maxIter',
        '4',
        '--cfg-options',
        'model.backbone.channels=16',
        'model.backbone.out_channels=16',
        'model.silhouette.enabled=False',
    ]
    assert segment_main([*common, '--output_folder', str(tmp_path / 'default')]) == 0
    assert (
        segment_main([*common, '--output_folder', str(tmp_path / 'one'), '--batch-size', '1']) == 0
    )
    for stem in ('a', 'b'):
        for name in (f'{stem}.png', f'vis/{stem}_color.png'):
            assert (tmp_path / 'default' / name).read_bytes() == (
                tmp_path / 'one' / name
            ).read_bytes()
        ra, rb = record(tmp_path / 'default', stem), record(tmp_path / 'one', stem)
        for varies in ('seconds', 'peak_rss_mb'):  # wall time and process memory so far
            ra.pop(varies), rb.pop(varies)
        assert ra == rb


def test_unbatchable_models_fall_back_with_a_reason(tmp_path):
    resnet = load_config(
        REPO_ROOT / 'configs' / '_base_' / 'models' / 'dynaseg_resnet18_fpn.py',
        {
            'model.backbone.channels': 8,
            'model.backbone.out_channels': 8,
            'model.schedule.max_iters': 1,
            'model.silhouette.enabled': False,
        },
    )
    model = build_segmentor(resnet)
    assert 'ResNetFPNExtractor' in batch_fallback_reason(model, 4, scribble=False)
    assert batch_fallback_reason(model, 1, scribble=False) is None
    cnn = build_segmentor(tiny_cfg())
    assert batch_fallback_reason(cnn, 4, scribble=False) is None
    assert 'scribble' in batch_fallback_reason(cnn, 4, scribble=True)
    with pytest.raises(ValueError, match='cannot segment a batch'):
        model.segment_batch([torch.zeros(1, 3, 8, 8)] * 2)
    inputs = write_images(tmp_path / 'in', {'a.png': (48, 64), 'b.png': (48, 64)})
    lines: list[str] = []
    jobs = [ImageJob(inputs / n, Path(n).stem) for n in ('a.png', 'b.png')]
    (tmp_path / 'out').mkdir()
    for sub in ('vis', 'records'):
        (tmp_path / 'out' / sub).mkdir()
    results = list(segment_jobs(jobs, model, tmp_path / 'out', batch_size=4, log=lines.append))
    assert [type(r).__name__ for _, r in results] == ['ImageOutcome', 'ImageOutcome']
    assert len(lines) == 1 and 'one image at a time' in lines[0]


def make_bsds(root: Path, ids_sizes: dict[str, tuple[int, int]]) -> Path:
    import scipy.io

    (root / 'images' / 'test').mkdir(parents=True)
    (root / 'groundTruth' / 'test').mkdir(parents=True)
    for seed, (img_id, size) in enumerate(ids_sizes.items()):
        image, regions = piecewise_image(*size, seed=seed)
        Image.fromarray(image).save(root / 'images' / 'test' / f'{img_id}.jpg', quality=95)
        cells = np.empty((1, 1), dtype=object)
        cells[0, 0] = {'Segmentation': (regions + 1).astype(np.uint16)}
        scipy.io.savemat(root / 'groundTruth' / 'test' / f'{img_id}.mat', {'groundTruth': cells})
    return root


def test_dataset_runner_batches_and_scores_like_one_at_a_time(tmp_path):
    root = make_bsds(
        tmp_path / 'bsds', {'1': (48, 64), '2': (64, 48), '3': (48, 64), '4': (48, 64)}
    )
    options = {
        **TWENTY_ITERATIONS,
        'data_root': str(root),
        'dataset.data_root': str(root),
        'model.schedule.refine_iters': 0,
        'model.schedule.patience': None,
    }
    cfg = load_config(BSDS_CONFIG, options)
    quiet = {'log': lambda message: None}
    one = run_dataset(cfg, tmp_path / 'one', batch_size=1, **quiet)
    batch = run_dataset(
        load_config(BSDS_CONFIG, options), tmp_path / 'batch', batch_size=3, **quiet
    )
    assert one['counts']['scored'] == batch['counts']['scored'] == 4
    assert batch['exit_code'] == 0
    for img_id in '1234':
        a = load_label_map(tmp_path / 'one' / 'preds' / f'{img_id}.png')
        b = load_label_map(tmp_path / 'batch' / 'preds' / f'{img_id}.png')
        assert (a == b).mean() >= 0.99
    rec = json.loads((tmp_path / 'batch' / 'preds' / 'records' / '1.json').read_text())
    assert rec['batch_size'] == 3 and rec['img_id'] == '1' and rec['iterations'] == 20
    assert abs(one['metrics']['all']['mIoU'] - batch['metrics']['all']['mIoU']) < 0.02
    # Resuming a finished batched run segments nothing.
    again = run_dataset(
        load_config(BSDS_CONFIG, options), tmp_path / 'batch', batch_size=3, **quiet
    )
    assert again['counts']['segmented_this_run'] == 0 and again['counts']['scored'] == 4


def test_batch_size_flag_in_every_tool():
    assert (
        build_segment_parser()
        .parse_args(['--input_folder', 'i', '--output_folder', 'o', '--batch-size', '8'])
        .batch_size
        == 8
    )
    parser = build_dataset_parser('d', default_config='c.py')
    assert parser.parse_args(['--batch-size', '16']).batch_size == 16
    assert parser.parse_args([]).batch_size is None  # the config's batch_size decides
    assert load_config(BSDS_CONFIG).batch_size == 1
