"""Hierarchies through the tools: saved beside each label map, cut to K regions or a level,
a finished folder re-cut without optimising, and the refusals (one line, exit code 2)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dynaseg.apis import load_config, segment_folder, segment_image
from dynaseg.apis.inference import DEFAULT_CONFIG
from dynaseg.cli.segment import main as segment_main
from dynaseg.hierarchy import Cut, load_hierarchy
from dynaseg.testing import piecewise_image
from dynaseg.utils.fileio import load_label_map
from dynaseg.utils.labels import relabel_connected_components

# The default (with its hierarchy), shrunk so an image takes a fraction of a second.
TINY = {
    'model.backbone.channels': 16,
    'model.backbone.out_channels': 16,
    'model.schedule.max_iters': 5,
    'model.silhouette.enabled': False,
    'model.refine': [],
}


pytestmark = pytest.mark.usefixtures('one_thread')


def images(folder: Path, count: int = 2) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        Image.fromarray(piecewise_image(40, 56, seed=i)[0]).save(folder / f'im{i}.png')
    return folder


def regions(labels: np.ndarray) -> int:
    return int(relabel_connected_components(labels).max()) + 1


def test_segment_image_returns_the_hierarchy_and_exact_region_cuts():
    rgb = piecewise_image(40, 56, seed=3)[0]
    finest = segment_image(rgb, **TINY)
    assert finest.hierarchy is not None
    assert finest.hierarchy.num_leaves == regions(finest.labels)
    for k in (1, 2, 5):
        cut = segment_image(rgb, regions=k, **TINY)
        assert regions(cut.labels) == k == len(np.unique(cut.labels))
    with pytest.raises(ValueError, match='finest level has'):
        segment_image(rgb, regions=finest.hierarchy.num_leaves + 1, **TINY)


def test_folder_saves_hierarchies_and_recuts_a_finished_folder_without_optimising(
    tmp_path: Path, monkeypatch
):
    inputs, out = images(tmp_path / 'in'), tmp_path / 'out'
    cfg = load_config(DEFAULT_CONFIG, TINY)
    first = segment_folder(inputs, out, cfg, progress=False)
    assert len(first.done) == 2
    finest = {p.stem: load_label_map(p) for p in sorted(out.glob('*.png'))}
    for stem, labels in finest.items():
        saved = load_hierarchy(out / 'hierarchies' / f'{stem}.mat')
        assert saved.num_leaves == regions(labels)
        np.testing.assert_array_equal(
            relabel_connected_components(saved.cut_level(0.0)),
            relabel_connected_components(labels),
        )
    # Re-cutting never optimises: any call to the optimiser fails the test.
    from dynaseg.models.segmentors import dynaseg as dynaseg_module

    def no_optimisation(*args, **kwargs):
        raise AssertionError('a re-cut optimised again')

    monkeypatch.setattr(dynaseg_module, 'optimize_image', no_optimisation)
    again = segment_folder(inputs, out, cfg, progress=False, cut=Cut(regions=2))
    assert len(again.recut) == 2 and not again.done
    for stem in finest:
        assert regions(load_label_map(out / f'{stem}.png')) == 2
        record = json.loads((out / 'records' / f'{stem}.json').read_text())
        assert record['hierarchy']['cut'] == {'regions': 2}
    # The same cut again: nothing to do; the finest level again: re-cut back.
    assert len(segment_folder(inputs, out, cfg, progress=False, cut=Cut(regions=2)).skipped) == 2
    back = segment_folder(inputs, out, cfg, progress=False)
    assert len(back.recut) == 2
    for stem, labels in finest.items():
        np.testing.assert_array_equal(
            relabel_connected_components(load_label_map(out / f'{stem}.png')),
            relabel_connected_components(labels),
        )


def test_folder_tool_refuses_impossible_cuts_in_one_line(tmp_path: Path, capsys):
    inputs, out = images(tmp_path / 'in', 1), tmp_path / 'out'
    tiny = [f'{k}={v}' for k, v in TINY.items()]
    common = ['--input-folder', str(inputs), '--work-dir', str(out), '--no-progress']
    assert segment_main([*common, '--visualize', '0', '--cfg-options', *tiny]) == 0
    capsys.readouterr()
    assert segment_main([*common, '--regions', '100000', '--cfg-options', *tiny]) == 2
    assert 'more than the' in capsys.readouterr().err
    assert segment_main([*common, '--level', '1.5', '--cfg-options', *tiny]) == 2
    assert 'level must be in [0, 1]' in capsys.readouterr().err
    # A folder made by a config without hierarchies has none to cut.
    plain = tmp_path / 'plain'
    no_tree = ['--input-folder', str(inputs), '--work-dir', str(plain), '--no-progress']
    assert segment_main([*no_tree, '--cfg-options', *tiny, 'hierarchy=None']) == 0
    capsys.readouterr()
    assert segment_main([*no_tree, '--regions', '2', '--cfg-options', *tiny]) == 2
    assert 'no saved hierarchy' in capsys.readouterr().err


def test_regions_export_as_coco_rle_that_decodes_back(tmp_path: Path):
    from pycocotools import mask as coco_mask

    from dynaseg.utils.rle import save_region_masks

    labels = np.zeros((5, 7), np.int64)
    labels[1:4, 2:6] = 3
    labels[4, :] = 1
    save_region_masks(tmp_path / 'x.json', labels, 'x.png')
    saved = json.loads((tmp_path / 'x.json').read_text())
    assert (saved['height'], saved['width'], saved['image']) == (5, 7, 'x.png')
    assert [r['id'] for r in saved['regions']] == [0, 1, 3]
    for region in saved['regions']:
        rle = dict(region['segmentation'], counts=region['segmentation']['counts'].encode())
        np.testing.assert_array_equal(coco_mask.decode(rle), labels == region['id'])
        assert region['area'] == int((labels == region['id']).sum())
    assert saved['regions'][2]['bbox'] == [2, 1, 4, 3]
