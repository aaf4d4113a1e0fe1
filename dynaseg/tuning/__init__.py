"""An honest selection protocol: search config keys on a train/val subset, one table row a setting.

``tools/tune.py`` is the command line of this package::

    python tools/tune.py --config configs/dynaseg/dynaseg-fsf_cnn-m2_fast_bsds500.py \\
        --data-root data/bsds500 --split val --images 20 \\
        --grid model.loss.weight.mu=8,15,30 model.schedule.patience=20,40 \\
        --work-dir work_dirs/tune/fsf --table docs/log/tuning.md \\
        [--setting model.loss.weight.mu=50 ...] [--random N --seed S] [--select mean] \\
        [--cfg-options KEY=V ...] [--title TEXT] [--table-only] [--report-test] \\
        [--threads N] [--device cpu|cuda] [--launcher none|pytorch|slurm]

What it does:

- **Settings.** ``--grid key=v1,v2 ...`` is the cartesian product of the listed values (in the
  order given); ``--random N --seed S`` keeps N of those combinations, drawn without replacement
  with that seed (listed in grid order); each ``--setting key=value ...`` adds one explicit setting
  (``--setting`` alone is the config as it is). ``--cfg-options`` applies to every setting,
  before its own overrides (a cheap schedule for a smoke run, say). Values are Python literals
  (``8``, ``0.5``, ``None``, ``True``, ``(1, 2)``, ``'reflect'``); anything else is a string.
- **Subset.** ``--split`` sets ``dataset.split``; ``--images N`` sets ``dataset.indices=N``, the
  first N images of the split's sorted id list. The ids used are recorded in the outputs.
- **Nothing is chosen on test.** A split named ``test`` is refused unless ``--report-test`` is
  given, and then the table reports the settings without marking a best one.
- **Runs.** Each setting gets its own work dir ``<work-dir>/<name>`` (a stable, filesystem-safe
  name from its overrides, such as ``mu=8__patience=20``) and goes through
  :func:`~dynaseg.apis.dataset_runner.run_dataset`, the code path of ``tools/evaluate_config.py``:
  every image of the subset is segmented (images already done are skipped) and scored with the
  config's evaluator. A setting whose work dir already holds complete results for the subset is
  read back, not rerun, so rerunning the command resumes; ``--table-only`` only reads, and keeps
  the machine and date the table already names (the results it renders are that run's).
- **Per-image scores.** With ``--table``, each complete setting's per-image scores are saved
  beside the table (``<table stem>/<setting>.json``, :mod:`dynaseg.reports.results`),
  to be committed with it: once the work dirs are gone, ``--table-only`` still renders the
  table and its paired intervals from them (for the same model, evaluator, overrides and images
  only).
- **Outputs.** ``<work-dir>/tune_results.json`` (every row and the header facts) and the Markdown
  table ``--table``: per setting the overrides, Kim mIoU all/fine/coarse (modes 1/2/3) and their
  mean, PRI/VOI/covering, mean labels and seconds per image, images scored, and its status (a
  failed setting is shown with its reason). Rows keep the order of the search. The header names
  the split, subset, the command that regenerates the table, machine, date and the best row by
  ``--select`` (default ``mean`` of all/fine/coarse) among the settings with every image scored.

Modules: :mod:`.grid` (the settings and their names), :mod:`.rows` (a setting's row, read from
its work dir or its saved results), :mod:`.table` (the Markdown table), :mod:`.paired` (each
setting against ``--paired-with``), :mod:`.search` (running or reading every setting);
the flags of ``tools/tune.py`` are :mod:`dynaseg.cli.tune`'s.
"""

from .grid import TestSplitError, check_split, expand_grid, parse_axes, sample_grid, setting_names
from .rows import SettingRow, best_row, read_row
from .search import prepare_search, run_search

__all__ = [
    'SettingRow',
    'TestSplitError',
    'best_row',
    'check_split',
    'expand_grid',
    'parse_axes',
    'prepare_search',
    'read_row',
    'run_search',
    'sample_grid',
    'setting_names',
]
