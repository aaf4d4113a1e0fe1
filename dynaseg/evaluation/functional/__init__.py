"""Pure numpy scoring functions and file readers; importing them never loads torch."""
from .bsds_bench import (contingency, covering_counts, image_region_scores, probabilistic_rand_index, rand_index_and_voi,
                         region_benchmark, region_jaccard, variation_of_information)
from .cocostuff import (NUM_CLASSES, PROTOCOLS, cluster_confusion, cocostuff27_meta, cocostuff_scores,
                        dataset_level_scores, fine_to_coarse, hungarian_match, matched_counts,
                        per_image_scores, per_image_summed_scores, thing_class_mask)
from .io import (LabelMapError, load_bsds_ground_truth, load_cocostuff_ground_truth,
                 load_voc_ground_truth, read_label_map)
from .kim_miou import BSDS_MODES, best_match_iou, kim_image_scores, pooled_miou, select_annotations

__all__ = [
    'contingency', 'covering_counts', 'image_region_scores', 'probabilistic_rand_index', 'rand_index_and_voi',
    'region_benchmark', 'region_jaccard', 'variation_of_information', 'NUM_CLASSES', 'PROTOCOLS',
    'cluster_confusion', 'cocostuff27_meta', 'cocostuff_scores', 'dataset_level_scores',
    'fine_to_coarse', 'hungarian_match', 'matched_counts', 'per_image_scores',
    'per_image_summed_scores', 'thing_class_mask', 'LabelMapError', 'load_bsds_ground_truth',
    'load_cocostuff_ground_truth', 'load_voc_ground_truth', 'read_label_map',
    'BSDS_MODES', 'best_match_iou', 'kim_image_scores', 'pooled_miou',
    'select_annotations'
]
