"""run_dataset: segment a config's dataset into a work dir, resume, report failures, score it."""

from __future__ import annotations

import json
import math
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import require_data
from PIL import Image

from dynaseg.apis.dataset_runner import run_dataset
from dynaseg.apis.layout import DatasetLayout
from dynaseg.apis.scoring import format_results
from dynaseg.evaluation.functional import (
    cluster_confusion,
    kim_image_scores,
    load_bsds_ground_truth,
    load_cocostuff_ground_truth,
    per_image_scores,
    pooled_miou,
    read_label_map,
)
from dynaseg.testing import make_bsds, make_cocostuff, piecewise_image
from dynaseg.testing.runs import BSDS_CONFIG, COCO_CONFIG, read_results, tiny_config

pytestmark = pytest.mark.usefixtures('one_thread')


def test_coco_end_to_end_json_pkl_and_missing_images(tmp_path: Path) -> None:
    root = make_cocostuff(
        tmp_path / 'coco', ['000000000001', '000000000002'], absent=['000000000003']
    )
    work = tmp_path / 'work'
    lines: list[str] = []
    returned = run_dataset(tiny_config(COCO_CONFIG, root), work, log=lines.append)

    results, per_image = read_results(work)
    assert returned['metrics'] == results['metrics']
    assert results['counts'] == {
        'listed': 3,
        'missing': 1,
        'present': 2,
        'scored': 2,
        'failed': 0,
        'not_segmented': 0,
        'segmented_this_run': 2,
    }
    assert results['missing_ids'] == ['000000000003'] and results['failed'] == []
    assert results['config'] == COCO_CONFIG.stem and results['seed'] == 0
    assert results['exit_code'] == 0
    assert set(results['metrics']) == {'a_dataset', 'b_per_image', 'c_per_image_summed'}
    for scores in results['metrics'].values():
        assert {'mIoU', 'thing_mIoU', 'stuff_mIoU', 'pixel_accuracy'} <= set(scores)
        assert scores['num_images'] == 2

    # Per-image protocol (b) scores, recomputed here from the files with the functional API.
    layout = DatasetLayout(work)
    assert [row['img_id'] for row in per_image] == ['000000000001', '000000000002']
    for row in per_image:
        gt = load_cocostuff_ground_truth(
            root / 'stuffthingmaps_trainval2017' / 'val2017' / f'{row["img_id"]}.png'
        )
        expected = per_image_scores(
            [cluster_confusion(read_label_map(layout.pred(row['img_id'])), gt)]
        )
        assert row['b_per_image/mIoU'] == pytest.approx(expected['mIoU'])
        assert row['b_per_image/pixel_accuracy'] == pytest.approx(expected['pixel_accuracy'])
        assert not any(key.startswith(('a_dataset/', 'c_per_image')) for key in row)
    assert results['metrics']['b_per_image']['mIoU'] == pytest.approx(
        np.mean([row['b_per_image/mIoU'] for row in per_image])
    )
    record = json.loads(layout.record('000000000001').read_text())
    assert record['img_id'] == '000000000001' and record['config'] == COCO_CONFIG.stem

    text = '\n'.join(lines)
    assert '3 listed, 1 missing, 2 present' in text
    assert 'b_per_image/mIoU' in text and '2 images scored of 3 listed' in text
    assert format_results(results) in text


def test_resume_does_not_recompute_and_limit(tmp_path: Path) -> None:
    root = make_cocostuff(tmp_path / 'coco', ['a1', 'a2', 'a3'])
    work = tmp_path / 'work'
    layout = DatasetLayout(work)
    cfg = tiny_config(COCO_CONFIG, root)
    first = run_dataset(cfg, work, limit=1, log=lambda _: None)
    assert first['counts']['segmented_this_run'] == 1 and first['counts']['scored'] == 1
    assert first['counts']['not_segmented'] == 2 and first['not_segmented_ids'] == ['a2', 'a3']
    assert first['exit_code'] == 0  # images left for later are not failures
    # An interrupted write leaves a record and a temporary file, never the label map.
    layout.record('a2').write_text('{}')
    (layout.preds / '.a2.png.123.tmp').write_bytes(b'partial')
    stamps = {p: p.stat().st_mtime_ns for p in (layout.pred('a1'), layout.record('a1'))}

    second = run_dataset(cfg, work, log=lambda _: None)
    assert second['counts']['segmented_this_run'] == 2 and second['counts']['scored'] == 3
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps  # a1 was not recomputed
    assert json.loads(layout.record('a2').read_text())['img_id'] == 'a2'

    third = run_dataset(cfg, work, log=lambda _: None)
    assert third['counts']['segmented_this_run'] == 0
    assert third['metrics'] == second['metrics']
    overwritten = run_dataset(cfg, work, overwrite=True, log=lambda _: None)
    assert overwritten['counts']['segmented_this_run'] == 3
    assert layout.pred('a1').stat().st_mtime_ns != stamps[layout.pred('a1')]
    assert overwritten['metrics'] == second['metrics']  # seeded per image: same labels


def test_failing_image_is_reported_and_retried(tmp_path: Path) -> None:
    root = make_cocostuff(tmp_path / 'coco', ['good', 'bad'])
    bad_image = root / 'images' / 'val2017' / 'bad.jpg'
    good_bytes = bad_image.read_bytes()
    bad_image.write_bytes(b'not a jpeg')
    work = tmp_path / 'work'
    cfg = tiny_config(COCO_CONFIG, root)
    lines: list[str] = []
    results = run_dataset(cfg, work, log=lines.append)
    assert results['exit_code'] == 1
    assert results['counts']['failed'] == 1 and results['counts']['scored'] == 1
    [failure] = results['failed']
    assert failure['img_id'] == 'bad' and failure['stage'] == 'segment' and failure['reason']
    assert '\n' not in failure['reason']
    saved = json.loads((work / 'failed' / 'bad.json').read_text())
    assert saved['image'] == str(bad_image) and saved['reason'] == failure['reason']
    assert any('bad (segment)' in line for line in lines)
    assert results['metrics']['b_per_image']['num_images'] == 1

    # Overwriting with the image broken again: its older prediction is dropped, not scored.
    bad_image.write_bytes(good_bytes)
    run_dataset(cfg, work, log=lambda _: None)
    bad_image.write_bytes(b'broken again')
    again = run_dataset(cfg, work, overwrite=True, log=lambda _: None)
    assert again['exit_code'] == 1 and again['counts']['scored'] == 1
    assert [r['img_id'] for r in read_results(work)[1]] == ['good']

    bad_image.write_bytes(good_bytes)
    fixed = run_dataset(cfg, work, log=lambda _: None)
    assert fixed['exit_code'] == 0 and fixed['failed'] == [] and fixed['counts']['scored'] == 2
    assert not (work / 'failed' / 'bad.json').exists()


def test_unscorable_images_are_reported_not_dropped(tmp_path: Path) -> None:
    """All-unlabelled GT gives a NaN per-image score; a GT of the wrong size fails scoring."""
    root = make_cocostuff(tmp_path / 'coco', ['ok', 'void', 'wrong'])
    gt_dir = root / 'stuffthingmaps_trainval2017' / 'val2017'
    cv2.imwrite(str(gt_dir / 'void.png'), np.full((24, 32), 255, np.uint8))
    cv2.imwrite(str(gt_dir / 'wrong.png'), np.zeros((10, 10), np.uint8))
    work = tmp_path / 'work'
    results = run_dataset(tiny_config(COCO_CONFIG, root), work, log=lambda _: None)
    results, per_image = read_results(work)

    assert results['exit_code'] == 1
    assert [(f['img_id'], f['stage']) for f in results['failed']] == [('wrong', 'evaluate')]
    assert 'differ in size' in results['failed'][0]['reason']
    assert results['counts']['scored'] == 2 and [r['img_id'] for r in per_image] == ['ok', 'void']
    assert results['nan_images']['b_per_image'] == {'count': 1, 'img_ids': ['void']}
    assert math.isnan(per_image[1]['b_per_image/mIoU'])
    for scores in results['metrics'].values():  # every protocol saw the same images
        assert scores['num_images'] == 1
    assert '1 image(s) with a NaN per-image score' in format_results(results)


def test_predictions_of_another_model_config_are_not_scored(tmp_path: Path) -> None:
    root = make_cocostuff(tmp_path / 'coco', ['x1'])
    work = tmp_path / 'work'
    run_dataset(tiny_config(COCO_CONFIG, root), work, log=lambda _: None)
    other = tiny_config(COCO_CONFIG, root, **{'model.seed': 7})
    stale = run_dataset(other, work, log=lambda _: None)
    assert stale['exit_code'] == 1 and stale['counts']['scored'] == 0
    assert 'different model config' in stale['failed'][0]['reason']
    redone = run_dataset(other, work, overwrite=True, log=lambda _: None)
    assert redone['exit_code'] == 0 and redone['seed'] == 7 and redone['counts']['scored'] == 1


def test_bsds_end_to_end_modes_and_region_bench(tmp_path: Path) -> None:
    root = make_bsds(tmp_path / 'bsds', ['100', '200'])
    work = tmp_path / 'work'
    results = run_dataset(tiny_config(BSDS_CONFIG, root), work, log=lambda _: None)
    results, per_image = read_results(work)
    assert results['exit_code'] == 0 and results['counts']['scored'] == 2
    assert set(results['metrics']) == {'all', 'fine', 'coarse', 'bsds'}
    assert {'PRI', 'VOI', 'covering'} <= set(results['metrics']['bsds'])

    layout = DatasetLayout(work)
    for mode, prefix in ((1, 'all'), (2, 'fine'), (3, 'coarse')):
        scores = [
            kim_image_scores(
                read_label_map(layout.pred(i)),
                load_bsds_ground_truth(root / 'groundTruth' / 'test' / f'{i}.mat'),
                mode=mode,
            )
            for i in ('100', '200')
        ]
        assert results['metrics'][prefix]['mIoU'] == pytest.approx(pooled_miou(scores)['mIoU'])
        assert [row[f'{prefix}/mIoU'] for row in per_image] == pytest.approx(
            [s.mean() for s in scores]
        )
        assert [row[f'{prefix}/num_segments'] for row in per_image] == [s.size for s in scores]
    assert all(0 <= row['bsds/PRI'] <= 1 for row in per_image)
    record = json.loads(layout.record('100').read_text())  # the engine record's fields too
    assert record['num_segments'] is None and record['warnings'] == []
    assert record['seed_runs'] == [] and record['img_id'] == '100'


def test_picture_pixels_segments_downscaled_copies_scored_at_full_size(tmp_path: Path) -> None:
    """``picture_pixels``: each image is segmented from a copy of at most that many pixels and
    its labels are scored upsampled (nearest) to the ground truth's size; predictions made
    from pictures of another size are never scored as these."""
    root = make_bsds(tmp_path / 'bsds', ['100', '200', '300'], size=(48, 64))
    (root / 'images' / 'test' / '300.jpg').write_bytes(b'not a jpeg')
    work = tmp_path / 'work'
    cfg = tiny_config(BSDS_CONFIG, root, picture_pixels=768)
    results = run_dataset(cfg, work, log=lambda _: None)
    # An unreadable image fails like any other, naming the file; the others go on.
    assert results['exit_code'] == 1 and results['counts']['scored'] == 2
    [failure] = results['failed']
    assert failure['img_id'] == '300' and 'not an image file' in failure['reason']

    layout = DatasetLayout(work)
    _, per_image = read_results(work)
    for img_id, row in zip(('100', '200'), per_image, strict=True):
        picture = cv2.imread(str(layout.picture(img_id, 768)))
        assert picture.shape[:2] == (24, 32)  # 48x64 scaled to <= 768 pixels, aspect kept
        labels = read_label_map(layout.pred(img_id))
        assert labels.shape == (24, 32)
        full = cv2.resize(labels.astype(np.uint16), (64, 48), interpolation=cv2.INTER_NEAREST)
        gts = load_bsds_ground_truth(root / 'groundTruth' / 'test' / f'{img_id}.mat')
        assert row['all/mIoU'] == pytest.approx(kim_image_scores(full, gts, mode=1).mean())
        record = json.loads(layout.record(img_id).read_text())
        assert record['picture_pixels'] == 768

    # The same model at full size: the small pictures' predictions are stale, not rescored.
    full_size = run_dataset(tiny_config(BSDS_CONFIG, root), work, log=lambda _: None)
    assert full_size['counts']['scored'] == 0
    assert 'pictures of <= 768 pixels, not None' in full_size['failed'][-1]['reason']
    # Another size redone in the same work dir makes its own copies.
    smaller = tiny_config(BSDS_CONFIG, root, picture_pixels=192)
    assert run_dataset(smaller, work, overwrite=True, log=lambda _: None)['counts']['scored'] == 2
    assert cv2.imread(str(layout.picture('100', 192))).shape[:2] == (12, 16)
    assert read_label_map(layout.pred('100')).shape == (12, 16)


def test_missing_data_root_is_an_error_before_any_work(tmp_path: Path) -> None:
    cfg = tiny_config(COCO_CONFIG, tmp_path / 'nowhere')
    with pytest.raises(FileNotFoundError, match='nowhere does not exist: pass --data-root'):
        run_dataset(cfg, tmp_path / 'work', log=lambda _: None)
    assert not (tmp_path / 'work').exists()


def test_image_ids_select_the_images_to_segment(tmp_path: Path) -> None:
    root = make_cocostuff(tmp_path / 'coco', ['a1', 'a2', 'a3'])
    cfg = tiny_config(COCO_CONFIG, root)
    work = tmp_path / 'work'
    with pytest.raises(ValueError, match='--image-ids: 1 id.* not listed .*: zz'):
        run_dataset(cfg, work, image_ids=['a1', 'zz'], log=lambda _: None)
    results = run_dataset(cfg, work, image_ids=['a3', 'a1'], limit=1, log=lambda _: None)
    assert results['counts']['segmented_this_run'] == 1  # a1: the dataset's order, not the list's
    assert results['not_segmented_ids'] == ['a2', 'a3']


def test_real_cocostuff_curated_image(tmp_path: Path) -> None:
    """The one curated val2017 image present in the shared data, with a tiny schedule."""
    root = require_data('cocostuff')
    cfg = tiny_config(COCO_CONFIG, root, **{'model.schedule.max_pixels': 4000})
    results = run_dataset(cfg, tmp_path / 'work', log=lambda _: None)
    assert results['exit_code'] == 0
    counts = results['counts']
    # The shared data holds one of the 2175 curated images (000000000785): it is scored.
    assert counts['listed'] == 2175 and counts['present'] == 1 and counts['scored'] == 1
    assert counts['missing'] == 2174
    assert [row['img_id'] for row in read_results(tmp_path / 'work')[1]] == ['000000000785']
    assert 0 <= results['metrics']['b_per_image']['mIoU'] <= 1


def test_a_run_names_its_split_images_protocol_and_what_the_list_leaves_out(
    tmp_path: Path,
) -> None:
    """The console and eval_results.json say which split, which images were scored and under
    which protocol; images on disk that the list leaves out are named, not silently skipped."""
    root = make_cocostuff(tmp_path / 'coco', ['000000000001', '000000000002'])
    extra, _ = piecewise_image(24, 32, seed=9)
    Image.fromarray(extra).save(root / 'images' / 'val2017' / 'not_curated.jpg')
    work, lines = tmp_path / 'work', []
    results = run_dataset(tiny_config(COCO_CONFIG, root), work, log=lines.append)
    saved, _ = read_results(work)
    assert saved['scored_ids'] == results['scored_ids'] == ['000000000001', '000000000002']
    assert saved['dataset']['split'] == 'val2017' and saved['unlisted_ids'] == ['not_curated']
    described = saved['protocol']['b_per_image']
    assert described['metric'] == 'CocoStuffMetric'
    assert described['args']['protocol'] == 'per_image' and described['args_doc']['protocol']
    text = '\n'.join(lines)
    assert "CocoStuff27Dataset 'val2017' at" in text
    assert "1 image(s) on disk beside the listed ones are not in CocoStuff27Dataset's list" in text
    assert 'not_curated' in text and 'Scored: 000000000001, 000000000002' in text
    assert "b_per_image: CocoStuffMetric(protocol='per_image'" in text


def test_bsds_counts_say_they_count_ground_truth_segments(tmp_path: Path) -> None:
    root = make_bsds(tmp_path / 'bsds', ['100'])
    results = run_dataset(tiny_config(BSDS_CONFIG, root), tmp_path / 'work', log=lambda _: None)
    text = format_results(results)
    assert 'ground-truth segments scored' in text.split('all/num_segments')[1].splitlines()[0]
    assert "all: KimSegmentMIoU(dataset='bsd500', mode=1, relabel=True" in text
    assert '- relabel: split disconnected regions of a predicted label' in text


def test_progress_streams_each_image_as_it_is_done(
    tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each image's line is written before the next image starts (as the folder tool does),
    not in one burst once the run is over."""
    from dynaseg.apis import runtime

    start = runtime.Progress.start
    monkeypatch.setattr(
        runtime.Progress, 'start', lambda self, stem: (print(f'start {stem}'), start(self, stem))
    )
    root = make_cocostuff(tmp_path / 'coco', ['a1', 'a2'])
    run_dataset(tiny_config(COCO_CONFIG, root), tmp_path / 'work')
    events = [
        line.split(':')[0]
        for line in capsys.readouterr().out.splitlines()
        if line.startswith(('start', '['))
    ]
    assert events == ['start a1', '[1/2] a1', 'start a2', '[2/2] a2']
