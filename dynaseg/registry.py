"""Child registries of MMSegmentation's, so configs pick DynaSeg parts by ``type=``.

Anything registered here is also visible through mmseg's registries (children
are searched from the parent with the ``dynaseg.`` scope prefix), and anything
of mmseg's (ResNet, FPN, SegDataPreProcessor, IoUMetric, ...) is visible here.
"""

from mmengine.registry import Registry
from mmseg.registry import DATASETS as MMSEG_DATASETS
from mmseg.registry import METRICS as MMSEG_METRICS
from mmseg.registry import MODELS as MMSEG_MODELS
from mmseg.registry import TRANSFORMS as MMSEG_TRANSFORMS

MODELS = Registry('model', parent=MMSEG_MODELS, scope='dynaseg', locations=['dynaseg.models'])
DATASETS = Registry(
    'dataset', parent=MMSEG_DATASETS, scope='dynaseg', locations=['dynaseg.datasets']
)
METRICS = Registry(
    'metric', parent=MMSEG_METRICS, scope='dynaseg', locations=['dynaseg.evaluation.metrics']
)
#: L_sim's targets (``model.loss.target``): their own registry, as their ``type`` names are
#: plain words (``argmax``, ``superpixel``) that would read as models in MODELS.
LOSS_TARGETS = Registry('loss target', scope='dynaseg', locations=['dynaseg.models.losses'])
TRANSFORMS = Registry(
    'transform', parent=MMSEG_TRANSFORMS, scope='dynaseg', locations=['dynaseg.datasets']
)
