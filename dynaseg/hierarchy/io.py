"""A hierarchy on disk: its ucm2 in a MATLAB file, the BSDS benchmark's own input format.

``<stem>.mat`` holds one variable, ``ucm2``: the (2H+1, 2W+1) float64 map of
:meth:`~.tree.RegionHierarchy.ucm2`, zlib-compressed (a BSDS photo's is about 60 kB). The BSDS
benchmark, ``dynaseg-miou --bsds-bench`` and :func:`load_hierarchy` read it; the tree comes back
exactly (:meth:`~.tree.RegionHierarchy.from_ucm2`), so a finished folder can be cut to any
granularity without optimising again.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from scipy.io import loadmat, savemat

from dynaseg.utils.fileio import atomic_write

from .tree import RegionHierarchy

#: The variable a hierarchy file holds (the BSDS convention).
UCM2_KEY = 'ucm2'


def save_hierarchy(path: str | os.PathLike[str], hierarchy: RegionHierarchy) -> None:
    """Write ``hierarchy``'s ucm2 to ``path`` (a ``.mat``), atomically; its folder is created."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(target, 'wb') as handle:
        savemat(handle, {UCM2_KEY: hierarchy.ucm2()}, do_compression=True)


def load_ucm2(path: str | os.PathLike[str]) -> np.ndarray:
    """The ucm2 saved at ``path``, as float64 (a cut needs no more: :meth:`~.tree.Cut.of_ucm2`).

    Raises:
        FileNotFoundError: no such file.
        ValueError: the file holds no ``ucm2`` variable (the message names the file).
    """
    target = Path(path)
    if not target.is_file():
        raise FileNotFoundError(f'no hierarchy file {target}')
    try:
        return np.asarray(loadmat(str(target))[UCM2_KEY], np.float64)
    except (KeyError, ValueError, OSError) as err:
        raise ValueError(f'{target} holds no ucm2 ({err})') from err


def load_hierarchy(path: str | os.PathLike[str]) -> RegionHierarchy:
    """The hierarchy saved at ``path``.

    Raises:
        FileNotFoundError: no such file.
        ValueError: the file holds no valid ``ucm2`` (the message names the file).
    """
    ucm2 = load_ucm2(path)
    try:
        return RegionHierarchy.from_ucm2(ucm2)
    except ValueError as err:
        raise ValueError(f'{path}: {err}') from err
