# Baseline: k-means on Lab colour and position (scipy.cluster.vq.kmeans2).
# Same dataset, evaluator and tools as the DynaSeg configs; parameters chosen on BSDS500 val with
# tools/tune.py (docs/log/tuning_baselines_kmeans.md).
_base_ = [
    '../_base_/models/classical.py',
    '../_base_/datasets/bsds500.py',
    '../_base_/default_runtime.py',
]
model = dict(
    type='KMeansSegmentor',
    num_clusters=8,
    position_weight=0.0,  # colour alone: the val choice, as num_clusters=8
    seed=0,
)
