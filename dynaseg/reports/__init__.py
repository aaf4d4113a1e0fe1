"""Reports: the reproduction reports and the tuning tables, computed from the runs' results.

Modules: :mod:`.provenance` (paths relative to the repository, the machine, the regenerate
command, number formatting), :mod:`.runs` (a report spec's runs, subsets, work dirs, commands),
:mod:`.results` (a run's results from its work dir, or saved beside its report),
:mod:`.labels` (row labels from model configs), :mod:`.tables` (Markdown table pieces shared with
the tuning tables), :mod:`.render` (the reports from the template), :mod:`.figures`,
:mod:`.reproduce` (``tools/reproduce.py``) and the benchmarks behind ``tools/benchmark*.py``.
"""
