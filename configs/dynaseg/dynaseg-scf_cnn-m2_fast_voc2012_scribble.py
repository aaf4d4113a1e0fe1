# DynaSeg-SCF, CNN M=2, fast schedule, with Kim et al.'s scribble guidance (VOC2012 scribbles).
# Masks are given per image: segment(..., scribble=mask) or the folder tool's --scribble flag.
# The optimisation stops at q <= number of scribble classes (Kim's minLabels), not at 3.
_base_ = ['./dynaseg-scf_cnn-m2_fast_voc2012.py']
model = dict(scribble=dict(weight=0.5))  # Kim's stepsize_scr
