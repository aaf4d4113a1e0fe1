"""Reports: the reproduction reports and the checks rendered from runs' results.

Modules: :mod:`.provenance` (paths relative to the repository, the data root, the machine, the
regenerate command, number formatting), :mod:`.runs` (a report spec's runs, subsets, work dirs,
commands), :mod:`.results` (a run's results from its work dir, or saved beside its report),
:mod:`.labels` (row labels from model configs), :mod:`.tables` (Markdown table pieces shared by the
reports and the tuning tables), :mod:`.template` (the reports' prose, from ``docs/templates/``),
:mod:`.render` (the results report) and :mod:`.table_report` (the one-table reports),
:mod:`.figures`, :mod:`.reproduce` (``tools/reproduce.py``), :mod:`.piecewise`
(``tools/piecewise_check.py``) and :mod:`.soak` (``tools/soak_folder.py``). The tuning search is
:mod:`dynaseg.tuning`, the benchmarks :mod:`dynaseg.benchmarks`.
"""
