# Warm-started DynaSeg-FSF: every image's optimisation starts from a network trained once over
# BSDS500 train (tools/train_reference.py, 25 steps; the record beside the checkpoint has the
# command) instead of a random one, and runs a fixed 15 iterations at <= 40k pixels (no patience
# rule, no Silhouette phase), then labels the working-size image with one forward pass.
# Chosen on BSDS500 val (docs/log/tuning_warm_start.md); run from the repository root (the checkpoint path
# is relative to the current directory).
_base_ = ['./dynaseg-fsf_cnn-m2_fast_bsds500.py']
model = dict(
    checkpoint='assets/checkpoints/dynaseg-fsf_cnn-m2_bsds500-train_iter25.pth',
    schedule=dict(max_iters=15, patience=None),
    silhouette=dict(enabled=False),
)
