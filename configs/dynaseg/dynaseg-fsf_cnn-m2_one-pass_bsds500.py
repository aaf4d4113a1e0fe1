# One pass per image (Kim et al.'s reference-image mode): the network trained once over BSDS500
# train (the same checkpoint as the warm start, see its record) labels each image with a single
# forward pass at <= 40k pixels, BatchNorm on the image's own statistics; the response is
# upsampled to the input size before the argmax. Run from the repository root.
_base_ = ['./dynaseg-scf_cnn-m2_reference_bsds500.py']
model = dict(
    loss=dict(weight=dict(_delete_=True, type='FSFWeight', mu=15.0)),
    checkpoint='assets/checkpoints/dynaseg-fsf_cnn-m2_bsds500-train_iter25.pth',
)
