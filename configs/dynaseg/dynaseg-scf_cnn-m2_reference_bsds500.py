# Reference-image mode (Kim et al.): one DynaSeg-SCF CNN (M=2) trained over BSDS500 train with
# tools/train_reference.py, then one forward pass per test image. Training and inference both run
# at <= 40k pixels (a few-pixel receptive field is scale-dependent); BatchNorm normalises with the
# test image's own statistics ('batch'), as every training step did with its image's.
# Its own segmentor class: of the per-image model it keeps the extractor, loss, optimiser, seed
# and preprocessing, not the schedule or the Silhouette phase. model.checkpoint names the trained
# network (None: train one first). The per-image model it takes them from is
# dynaseg-scf_cnn-m2_fast_bsds500.py's.
_base_ = ['./dynaseg-scf_cnn-m2_fast_bsds500.py']
model = dict(
    _delete_=True,
    type='DynaSegReferenceImage',
    data_preprocessor={{_base_.model.data_preprocessor}},
    backbone={{_base_.model.backbone}},
    loss={{_base_.model.loss}},
    optimizer={{_base_.model.optimizer}},
    seed={{_base_.model.seed}},
    relabel={{_base_.model.relabel}},
    checkpoint=None,
    reference=dict(max_pixels=40_000, bn_stats='batch'),
)
