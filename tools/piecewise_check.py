#!/usr/bin/env python
"""Held-out piecewise-constant pictures: does a config find the 3-5 regions a user sees? See
:mod:`dynaseg.reports.piecewise`.

    python tools/piecewise_check.py [--config FILE ...] [--images 20] [--first-seed 1000] \\
        [--threads 1] [--out docs/log/piecewise.md]
"""

from __future__ import annotations

import sys

from dynaseg.reports.piecewise import main

if __name__ == '__main__':
    sys.exit(main())
