#!/usr/bin/env python
"""Soak test of workers sharing one folder: many tiny images, hard kills, then a resume; see
:mod:`dynaseg.reports.soak`.

    python tools/soak_folder.py --work-dir work_dirs/soak  # 2,000 images, 3 workers, 5 kills
    python tools/soak_folder.py --work-dir work_dirs/soak --images 200 --kills 2  # a quick one
"""

from __future__ import annotations

import sys

from dynaseg.reports.soak import main

if __name__ == '__main__':
    sys.exit(main())
