"""dynaseg.reports.tables: each dataset class's score cells, and its report subset."""

from __future__ import annotations

from pathlib import Path


def test_each_dataset_class_gives_its_score_cells(tmp_path: Path) -> None:
    from dynaseg.datasets import BSDS500Dataset, CocoStuff27Dataset, VOC2012SegmentDataset
    from dynaseg.reports.tables import score_text

    bsds = {'all': {'mIoU': 0.31}, 'fine': {'mIoU': 0.28}, 'region': {'PRI': 0.8, 'VOI': 2.5}}
    cells = [score_text(c) for c in BSDS500Dataset.report_scores(bsds)]
    assert cells == ['0.3100', '0.2800', 'n/a', '0.800', '2.500', 'n/a']
    assert [score_text(c) for c in VOC2012SegmentDataset.report_scores({})] == ['n/a']
    coco = {'b_per_image': {'mIoU': 0.3051, 'thing_mIoU': 0.2, 'pixel_accuracy': 0.811}}
    cells = [score_text(c) for c in CocoStuff27Dataset.report_scores(coco)]
    assert cells[1] == '30.51 / 20.00 / n/a / 81.10' and cells[0] == 'n/a / n/a / n/a / n/a'
    # VOC: the val images whose JPEG is present, as their own split list; absent: said so.
    voc = tmp_path / 'voc2012'
    (voc / 'ImageSets' / 'Segmentation').mkdir(parents=True)
    (voc / 'ImageSets' / 'Segmentation' / 'val_with_images.txt').write_text('a\nb\n')
    subset = VOC2012SegmentDataset(str(voc), lazy_init=True).report_subset(0, None, tmp_path, False)
    assert subset.options == {'dataset.split': 'val_with_images'} and subset.size == 2
    absent = VOC2012SegmentDataset(str(tmp_path / 'none'), lazy_init=True)
    assert absent.report_subset(0, None, tmp_path, False).size is None
