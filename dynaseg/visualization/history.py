"""Training curves of the per-image optimisation: label count and loss against iteration."""

from __future__ import annotations

import io
import os
from collections.abc import Mapping, Sequence

from ..utils.fileio import atomic_write

__all__ = ['HISTORY_KEYS', 'plot_history']

#: The per-iteration series :func:`plot_history` draws (a record's names), with axis labels.
HISTORY_KEYS: dict[str, str] = {'label_counts': 'number of labels q', 'losses': 'loss'}


def plot_history(
    histories: Mapping[str, Mapping[str, Sequence[float]]],
    path: str | os.PathLike[str],
    title: str | None = None,
) -> None:
    """Plot several runs' label count and loss per iteration in two panels; save a PNG atomically.

    Uses Matplotlib's Agg canvas directly (no pyplot, no global state), so it never needs a
    display and is safe to call from worker threads. Matplotlib is imported here, not at module
    import, to keep ``import dynaseg.visualization`` cheap.

    Args:
        histories: run name (e.g. ``'SCF'``, ``'FSF'``, ``'fixed'``) -> series by name, such
            as a record (:func:`~dynaseg.apis.records.load_record`); ``'label_counts'`` and
            ``'losses'`` (see :data:`HISTORY_KEYS`; an old record's ``history`` with
            ``'n_labels'`` and ``'loss'`` too) are drawn, indexed by iteration from 0. A run
            may lack one of them.
        path: the ``.png`` to write.
        title: optional figure title (e.g. the image name).

    Raises:
        ValueError: no runs, or no run has either series.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    from dynaseg.engine.record import renamed_series  # an old record's names, one table

    if not histories:
        raise ValueError('plot_history needs at least one run')
    histories = {
        run_name: {k: v for k, v in renamed_series(run).items() if k in HISTORY_KEYS}
        for run_name, run in histories.items()
    }
    if not any(histories.values()):
        raise ValueError(f'no run has any of the series {sorted(HISTORY_KEYS)}')

    figure = Figure(figsize=(10, 4), dpi=100, layout='constrained')
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, len(HISTORY_KEYS), squeeze=False)[0]
    for ax, (key, label) in zip(axes, HISTORY_KEYS.items()):
        values_seen: list[float] = []
        for name, run in histories.items():
            series = [float(v) for v in run.get(key, ())]
            if not series:
                continue
            values_seen += series
            # Label counts change in whole steps, so draw them as steps.
            ax.plot(
                range(len(series)),
                series,
                label=name,
                drawstyle='steps-post' if key == 'label_counts' else 'default',
            )
        ax.set_xlabel('iteration')
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel(label)
        ax.grid(True, alpha=0.3)
        if not values_seen:
            ax.text(0.5, 0.5, 'no data', ha='center', va='center', transform=ax.transAxes)
            continue
        # Losses fall by orders of magnitude early on; a log axis keeps the tail readable.
        if key == 'losses' and min(values_seen) > 0:
            ax.set_yscale('log')
        ax.legend()
    if title:
        figure.suptitle(title)
    buffer = io.BytesIO()
    figure.savefig(buffer, format='png')
    with atomic_write(path, 'wb') as handle:
        handle.write(buffer.getvalue())
