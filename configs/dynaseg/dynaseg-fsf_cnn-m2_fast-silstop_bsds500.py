# Ablation: the Silhouette k as a stop target, not only a floor on q in the weight: a stage
# also stops once q <= k (stop reason 'silhouette_k'); patience and q <= 3 still apply.
_base_ = ['./dynaseg-fsf_cnn-m2_fast_bsds500.py']
model = dict(schedule=dict(silhouette_stop=True))
