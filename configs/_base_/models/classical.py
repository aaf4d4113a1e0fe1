# The classical baselines' model base: the data preprocessor they share with the DynaSeg configs
# (pixels reach the segmentor scaled to [0, 1]; the wrapper undoes that to hand scikit-image
# 8-bit RGB).
_base_ = ['./data_preprocessor.py']
