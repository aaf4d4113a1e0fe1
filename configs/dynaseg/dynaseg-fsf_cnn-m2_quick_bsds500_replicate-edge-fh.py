# The default config (DEFAULT_CONFIG in dynaseg/apis/inference.py: every tool, segment_image and
# the demo use it): DynaSeg-FSF (mu = 15) with replicate padding and edge-aware continuity
# (_base_/models/dynaseg_fsf_cnn_replicate_edge.py), on the quick schedule (_base_/schedules/
# quick.py: coarse stage at <= 10k pixels, stop once the label count has not changed for 10
# iterations), its labels snapped to Felzenszwalb-Huttenlocher regions (_base_/refiners/fh.py).
# Each image's region hierarchy (_base_/hierarchies/merge.py) is built from the same optimisation
# and saved beside its label map; the label map is its finest level. Every step was chosen on
# BSDS500 val (docs/log/); its test numbers are the first row of docs/results/baselines.md, its
# hierarchy's in docs/results/hierarchy.md.
_base_ = [
    '../_base_/models/dynaseg_fsf_cnn_replicate_edge.py',
    '../_base_/schedules/quick.py',
    '../_base_/datasets/bsds500.py',
    '../_base_/default_runtime.py',
    '../_base_/refiners/fh.py',
    '../_base_/hierarchies/merge.py',
]
model = dict(schedule={{_base_.schedule}}, refine={{_base_.refine}})
