"""Every file of tools/ runs: ``python tools/<name>.py --help`` prints its usage and exits 0.

The tools are tested through their ``main()`` elsewhere; this is the one test that runs the
files themselves, all in one fresh process (they share their imports), as a user would."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
TOOLS = sorted((REPO_ROOT / 'tools').glob('*.py'))

#: Runs each file given as ``__main__`` with ``--help``; prints ``<name> <exit code> <usage?>``.
RUN_EACH = """
import contextlib, io, runpy, sys
for path in sys.argv[1:]:
    out = io.StringIO()
    sys.argv = [path, '--help']
    with contextlib.redirect_stdout(out):
        try:
            runpy.run_path(path, run_name='__main__')
            code = 'no exit'
        except SystemExit as stop:
            code = stop.code or 0
    print(path.rsplit('/', 1)[-1], code, 'usage:' in out.getvalue())
"""


def test_every_tool_file_runs_and_prints_its_usage():
    assert len(TOOLS) >= 15
    done = subprocess.run(
        [sys.executable, '-c', RUN_EACH, *map(str, TOOLS)],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.strip().splitlines()[-len(TOOLS) :]
    assert lines == [f'{path.name} 0 True' for path in TOOLS]
