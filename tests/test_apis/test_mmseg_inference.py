"""mmseg's own init_model / inference_model drive the DynaSeg configs unchanged."""

import numpy as np
from mmengine.config import Config
from mmseg.apis import inference_model, init_model
from PIL import Image

from dynaseg.apis import DEFAULT_CONFIG, segment_image
from dynaseg.testing import piecewise_image
from dynaseg.utils import register_all_modules


def test_init_model_and_inference_model(tmp_path):
    register_all_modules()
    cfg = Config.fromfile(str(DEFAULT_CONFIG))
    cfg.merge_from_dict(
        {
            'model.backbone.channels': 16,
            'model.backbone.out_channels': 16,
            'model.schedule.max_iters': 4,
            'model.silhouette.enabled': False,
        }
    )
    image, _ = piecewise_image(24, 32)
    path = tmp_path / 'img.png'
    Image.fromarray(image).save(path)
    model = init_model(cfg, device='cpu')
    result = inference_model(model, str(path))
    labels = result.pred_sem_seg.data
    assert tuple(labels.shape) == (1, 24, 32)
    assert labels.min() >= 0 and labels.max() < 16
    assert result.metainfo['dynaseg_iterations'] == 4
    # The same optimisation as DynaSeg's own API: same config, image and seed, same labels.
    own = segment_image(path, cfg)
    np.testing.assert_array_equal(labels[0].numpy(), own.labels)
    assert len(np.unique(labels.numpy())) == own.num_segments >= 2
