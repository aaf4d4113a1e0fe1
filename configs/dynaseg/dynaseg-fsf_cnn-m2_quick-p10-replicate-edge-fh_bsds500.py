# The tools' default config (dynaseg.apis.DEFAULT_CONFIG): the quick default
# (dynaseg-fsf_cnn-m2_quick-replicate-edge-fh_bsds500.py: DynaSeg-FSF, replicate padding,
# edge-aware continuity, FH refiners, coarse stage at <= 10k pixels) with a patience of 10
# iterations instead of 20: a stage stops once the label count has not changed for 10 iterations.
# Chosen on the first 50 BSDS500 val images against the quick default, with paired intervals, on
# the photos (docs/tuning_patience.md: 1.8 times faster) and on the same images scaled down to
# <= 40k pixels (docs/tuning_small_pictures.md: 1.4 times faster); no mode's interval below 0 in
# either. Patience 5 lost in the coarse mode on the photos. Test numbers: docs/results_baselines.md.
_base_ = ['./dynaseg-fsf_cnn-m2_quick-replicate-edge-fh_bsds500.py']
model = dict(schedule=dict(patience=10))
