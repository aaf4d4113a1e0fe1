"""Pulling the prediction and the ground-truth location out of an mmengine data sample."""

from __future__ import annotations

from typing import Any

import numpy as np

from dynaseg.utils.labels import resize_nearest

#: Keys, in order of preference, under which a data sample may carry its ground-truth file(s).
GT_PATH_KEYS = ('gt_path', 'seg_map_path')


def prediction_map(data_sample: dict[str, Any]) -> np.ndarray:
    """The predicted label map of a data sample.

    Args:
        data_sample: ``SegDataSample.to_dict()`` (what mmengine's Evaluator passes on),
            holding ``pred_sem_seg.data`` of shape (1, H, W) or (H, W).

    Returns:
        (H, W) integer numpy array.
    """
    try:
        data = data_sample['pred_sem_seg']['data']
    except (KeyError, TypeError) as err:
        raise KeyError("data sample has no pred_sem_seg['data'] to score") from err
    if hasattr(data, 'detach'):  # a torch tensor, possibly on an accelerator
        data = data.detach().cpu().numpy()
    labels = np.asarray(data)
    if labels.ndim == 3 and labels.shape[0] == 1:
        labels = labels[0]
    if labels.ndim != 2:
        raise ValueError(f'pred_sem_seg must be (1, H, W) or (H, W), got shape {labels.shape}')
    return labels


def ground_truth_path(data_sample: dict[str, Any]) -> Any:
    """The ground-truth file (or files) named by a data sample's metainfo.

    Raises:
        KeyError: the sample names no ground truth (add ``gt_path`` to the pipeline's
            ``meta_keys``).
    """
    for key in GT_PATH_KEYS:
        if data_sample.get(key) is not None:
            return data_sample[key]
    name = data_sample.get('img_path', '<unknown image>')
    raise KeyError(
        f'{name}: data sample carries no ground truth ({" or ".join(GT_PATH_KEYS)}); '
        "add 'gt_path' to PackSegInputs meta_keys"
    )


def prediction_at_size(
    data_sample: dict[str, Any], shape: tuple[int, ...], resize: bool
) -> np.ndarray:
    """The sample's prediction at the ground truth's (H, W) ``shape``.

    A size mismatch is an error naming the image unless ``resize`` is set, in which case
    the prediction is resized with nearest neighbour (labels must not be blended).
    """
    pred = prediction_map(data_sample)
    if pred.shape == tuple(shape):
        return pred
    if not resize:
        raise ValueError(
            f'{data_sample.get("img_path")}: prediction {pred.shape} and ground '
            f'truth {tuple(shape)} differ in size (set resize_pred=True)'
        )
    return resize_nearest(pred, (shape[0], shape[1]))
