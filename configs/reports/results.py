# The reproduction report (docs/results/authors_settings.md): every config on its dataset's fixed
# subset, one section per dataset, then the figures. `python tools/reproduce.py --data-root data`.
title = "The authors' settings reproduced"
kind = 'report'
output = 'docs/results/authors_settings.md'
images = 10  # BSDS500: the first 10 sorted test ids
runs = [
    dict(config='configs/kim/kim-fixed_cnn-m2_fast_bsds500.py'),
    dict(config='configs/dynaseg/dynaseg-scf_cnn-m2_fast_bsds500.py'),
    dict(config='configs/dynaseg/dynaseg-scf_cnn-m2_fast_bsds500_no-silhouette.py'),
    dict(config='configs/dynaseg/dynaseg-fsf_cnn-m2_fast_bsds500.py'),
    dict(config='configs/dynaseg/dynaseg-fsf_cnn-m2_fast_bsds500_no-silhouette.py'),
    dict(config='configs/kim/kim-fixed_resnet18-fpn_fast_bsds500.py'),
    dict(config='configs/dynaseg/dynaseg-scf_resnet18-fpn_fast_bsds500.py'),
    dict(config='configs/dynaseg/dynaseg-scf_resnet18-fpn_fast_bsds500_no-silhouette.py'),
    dict(config='configs/dynaseg/dynaseg-fsf_resnet18-fpn_fast_bsds500.py'),
    dict(config='configs/dynaseg/dynaseg-fsf_resnet18-fpn_fast_bsds500_no-silhouette.py'),
    dict(config='configs/kim/kim-fixed_cnn-m2_fast_voc2012.py'),
    dict(config='configs/dynaseg/dynaseg-scf_cnn-m2_fast_voc2012.py'),
    dict(config='configs/dynaseg/dynaseg-fsf_cnn-m2_fast_voc2012.py'),
    dict(config='configs/dynaseg/dynaseg-scf_cnn-m3_fast_coco-stuff27.py'),
    dict(config='configs/dynaseg/dynaseg-fsf_cnn-m3_fast_coco-stuff27.py'),
    # Too slow for a CPU report (the authors' 1000-iteration loop at <= 40k pixels: about 4
    # CPU-minutes per image and config): run and reported only when --only names them.
    dict(config='configs/kim/kim-fixed_cnn-m2_faithful-40k_bsds500.py', by_default=False),
    dict(config='configs/dynaseg/dynaseg-scf_cnn-m2_faithful-40k_bsds500.py', by_default=False),
    dict(config='configs/dynaseg/dynaseg-fsf_cnn-m2_faithful-40k_bsds500.py', by_default=False),
    # The authors' loop at full resolution: for a GPU.
    dict(config='configs/kim/kim-fixed_cnn-m2_faithful_bsds500.py', by_default=False),
    dict(config='configs/dynaseg/dynaseg-scf_cnn-m2_faithful_bsds500.py', by_default=False),
    dict(config='configs/dynaseg/dynaseg-fsf_cnn-m2_faithful_bsds500.py', by_default=False),
]
# The qualitative grid and the label-count plot: (panel title, run name), drawn when the report
# shows all of them.
figure_runs = [
    ('DynaSeg SCF', 'dynaseg-scf_cnn-m2_fast_bsds500'),
    ('DynaSeg FSF', 'dynaseg-fsf_cnn-m2_fast_bsds500'),
    ('Kim fixed mu', 'kim-fixed_cnn-m2_fast_bsds500'),
]
