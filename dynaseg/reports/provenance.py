"""Where a report's numbers come from: paths, the machine, the command that regenerates it.

Every command of the project runs from the repository root, so every path a report or a JSON of
results prints is relative to it (a report never holds an absolute path), and every command it
prints can be pasted into a shell there.
"""

from __future__ import annotations

import math
import os
import platform
import re
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dynaseg.apis.inference import REPO_ROOT

__all__ = [
    'REPO_ROOT',
    'data_root',
    'fmt',
    'machine_text',
    'repo_relative',
    'shell_line',
    'tool_command',
]


def data_root() -> Path:
    """The project's data root: ``$DYNASEG_DATA_ROOT``, else ``data/`` in the repository."""
    env = os.environ.get('DYNASEG_DATA_ROOT')
    return Path(env) if env else REPO_ROOT / 'data'


def repo_relative(path: str | Path) -> str:
    """``path`` as seen from the repository root, where every command runs (never absolute)."""
    return os.path.relpath(os.path.abspath(path), REPO_ROOT)


def shell_line(command: Sequence[str]) -> str:
    """``command`` as printed, for a shell in the repository root. A ``key=value`` word whose
    value must be absolute (a config option read relative to some other folder) is written as
    ``key="$PWD"/<path from the repository root>``."""
    words = []
    for word in command:
        key, equals, value = word.partition('=')
        if equals and os.path.isabs(value):
            words.append(f'{shlex.quote(key + equals)}"$PWD"/{shlex.quote(repo_relative(value))}')
        else:
            words.append(shlex.quote(word))
    return ' '.join(words)


def tool_command(tool: str, *options: tuple[str, Any], paths: Sequence[str] = ()) -> list[str]:
    """``['python', 'tools/<tool>.py', ...]`` from ``(flag, value)`` pairs in the given order: a
    value of None or False leaves its flag out, True writes the flag alone, a list or tuple
    writes its items after the flag; the values of the flags in ``paths`` are written relative
    to the repository root. What a report prints as the command that regenerates it."""
    words = ['python', f'tools/{tool}.py']
    for flag, value in options:
        if value is None or value is False:
            continue
        words.append(flag)
        if value is True:
            continue
        values = list(value) if isinstance(value, (list, tuple)) else [value]
        words += [repo_relative(v) if flag in paths else str(v) for v in values]
    return words


def fmt(value: Any, digits: int = 4, scale: float = 1.0) -> str:
    """A number as a report prints it: ``digits`` decimals after scaling; 'n/a' for none."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return 'n/a'
    return f'{value * scale:.{digits}f}'


def _cpu_model() -> str:
    cpuinfo = Path('/proc/cpuinfo')
    names = (
        re.findall(r'^model name\s*:\s*(.+)$', cpuinfo.read_text(), re.M)
        if cpuinfo.is_file()
        else []
    )
    return names[0].strip() if names else (platform.processor() or platform.machine())


def machine_text(device: str = 'cpu', threads: int | None = None) -> str:
    """The machine a run computes on: the GPU, or the CPU model, its cores and the torch threads
    per run; then torch, Python and the OS."""
    import torch

    if device == 'cuda' and torch.cuda.is_available():
        where = f'GPU {torch.cuda.get_device_name()}'
    else:
        threads = torch.get_num_threads() if threads is None else threads
        where = f'{os.cpu_count()}-core CPU ({_cpu_model()}), {threads} torch thread(s) per run'
    return (
        f'{where}; torch {torch.__version__}, Python {platform.python_version()}, '
        f'{platform.system()}'
    )
