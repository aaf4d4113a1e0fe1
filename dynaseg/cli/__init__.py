"""The command line: one module per command, each with its parser (``build_parser``) and its
``main(argv) -> exit code``, sharing one vocabulary of options (:mod:`.options`).

- :mod:`.segment`: ``dynaseg-segment``, ``tools/DynaSeg_SCF_BSD_VOC.py``
- :mod:`.evaluate`: ``dynaseg-evaluate``, ``tools/evaluate_config.py``; :mod:`.coco`:
  ``tools/DynaSeg_COCO.py``
- :mod:`.miou`: ``dynaseg-miou``, ``tools/calculate_mIOU.py``
- :mod:`.train_reference`, :mod:`.refine_predictions`, :mod:`.demo`, :mod:`.scribble_figure`,
  :mod:`.tune`, :mod:`.reproduce`, :mod:`.stamp_docs`, :mod:`.benchmark`,
  :mod:`.benchmark_batched`, :mod:`.piecewise_check`, :mod:`.frame_check`, :mod:`.soak_folder`,
  :mod:`.hierarchy_baselines`, :mod:`.hierarchy_probe`, :mod:`.hierarchy_report`,
  :mod:`.export_rle`: ``tools/<module>.py``

Each file of ``tools/`` only calls its module's ``main``; what a command does lives in the
library (:mod:`dynaseg.apis`, :mod:`dynaseg.reports`, :mod:`dynaseg.tuning`, ...), so a command
module holds flags, refusals and printing. Nothing is imported here: ``--help`` of one command
loads only what that command needs, and ``dynaseg-miou`` never loads torch.
"""
