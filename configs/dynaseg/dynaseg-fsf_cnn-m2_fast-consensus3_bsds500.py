# Ablation: a consensus of 3 seeds. Each image is optimised with seeds 0, 1, 2 (batched: the
# CNN stacks) and the medoid labels are kept: the run with the least mean variation of
# information to the other two. About 3 times the work per image.
_base_ = ['./dynaseg-fsf_cnn-m2_fast_bsds500.py']
model = dict(consensus=dict(seeds=3, rule='medoid'))
