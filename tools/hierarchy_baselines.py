"""The classical rows of the hierarchy benchmark (dynaseg/hierarchy/command.py)."""

import sys

from dynaseg.hierarchy.command import main

if __name__ == '__main__':
    sys.exit(main())
