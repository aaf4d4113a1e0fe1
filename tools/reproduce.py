"""Run a report's configs and write the report from their results: see
:mod:`dynaseg.reports.reproduce` (the report specs are ``configs/reports/*.py``).

    python tools/reproduce.py [--data-root /path/to/data] [--report results|baselines|...] \\
        [--work-dir work_dirs/reproduce] [--images N | --ids ID ...] [--only PATTERN ...] \\
        [--threads N] [--dry-run | --table-only | --figures-only | --score-only]
"""

from __future__ import annotations

import sys

from dynaseg.reports.reproduce import main

if __name__ == '__main__':
    sys.exit(main())
