"""How the per-image loop runs: every engine option in one frozen object, built once per model.

    settings = EngineSettings.from_config(options)   # the model config's engine keys
    optimize_image(image, factory, loss_fn, optimizer_cfg, settings, seed=...)

The config keys are the field names (``model.schedule``, ``model.num_segments``, ...); each
field's metadata says how a config value becomes the field's value, and whether one forward pass
per image (reference-image mode) honours it. A key that is not a field, or that the one-pass mode
cannot honour, is refused in one line that names it and the keys that are accepted.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .consensus import Consensus
from .precision import check_precision
from .record import SilhouetteConfig
from .schedule import Schedule


def parse_num_segments(value: int | str | None) -> int | None:
    """``model.num_segments`` as the engine takes it: ``'auto'`` (or None) -> None, K >= 1 -> K.

    Raises:
        ValueError: anything else.
    """
    if value is None or value == 'auto':
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"num_segments must be 'auto' or an int >= 1, got {value!r}")
    return int(value)


def _settings(cls: type) -> Callable[[Any], Any]:
    """A config dict (None = the defaults, or already an instance) -> an instance of ``cls``."""

    def parse(value: Any) -> Any:
        if isinstance(value, cls):
            return value
        return cls(**(value or {}))

    return parse


def _consensus(value: Consensus | dict | None) -> Consensus | None:
    return value if value is None or isinstance(value, Consensus) else Consensus(**value)


def _scribble_weight(value: dict | None) -> float:
    """``model.scribble = dict(weight=0.5)`` (Kim's ``stepsize_scr``) -> the weight."""
    return float((value or {}).get('weight', 0.5))


def _option(
    default: Any, parse: Callable[[Any], Any], *, one_pass: bool = False, key: str | None = None
) -> Any:
    """A settings field: its default, how a config value is read, whether one pass honours it."""
    return field(default=default, metadata=dict(parse=parse, one_pass=one_pass, key=key))


@dataclass(frozen=True)
class EngineSettings:
    """Every option of the per-image loop (config key = field name, except ``scribble``).

    Attributes:
        schedule: stopping rule and resolution plan (``model.schedule``, :class:`Schedule`).
        silhouette: the Silhouette phase (``model.silhouette``); disabled unless configured.
        num_segments: None (``'auto'``): the schedule's rule decides the label count; K: stop
            once q <= K, then reduce the response to exactly K labels (``segment_count.py``).
            The only option one forward pass per image also honours.
        scribble_weight: factor on the scribble cross-entropy, config ``model.scribble =
            dict(weight=0.5)`` (Kim's ``stepsize_scr``); masks come per image.
        consensus: None, or :class:`~dynaseg.engine.consensus.Consensus`: several seeds per
            image, the medoid run returned (the segmentor runs them).
        precision: ``'fp32'`` (default), ``'tf32'`` or ``'bf16'`` (``precision.py``).
        compile_extractor: False (default), True or a ``torch.compile`` backend name.
        channels_last: NHWC layout, oneDNN's native one: the convolutions skip their layout
            reorders (about 25% less CPU time per iteration at 321x481). It pays only because
            the fused loss hands back an NHWC gradient; a mixed-layout BatchNorm backward is
            several times slower.
        tune_allocator: keep freed buffers in the process (``allocator.py``).

    The last four are speed switches: they change how fast the loop runs, not the method
    (tf32 and bf16 round differently, so they are kept only where they agree with fp32 within
    the method's noise, see ``precision.py``).
    """

    schedule: Schedule = _option(Schedule(), _settings(Schedule))
    silhouette: SilhouetteConfig = _option(SilhouetteConfig(), _settings(SilhouetteConfig))
    num_segments: int | None = _option(None, parse_num_segments, one_pass=True)
    scribble_weight: float = _option(0.5, _scribble_weight, key='scribble')
    consensus: Consensus | None = _option(None, _consensus)
    precision: str = _option('fp32', check_precision)
    compile_extractor: bool | str = _option(False, lambda value: value)
    channels_last: bool = _option(True, bool)
    tune_allocator: bool = _option(True, bool)

    def __post_init__(self) -> None:
        check_precision(self.precision)
        parse_num_segments(self.num_segments)

    @classmethod
    def config_keys(cls, *, one_pass: bool = False) -> tuple[str, ...]:
        """The model config keys these settings read (``one_pass``: those one pass honours)."""
        return tuple(
            f.metadata['key'] or f.name
            for f in dataclasses.fields(cls)
            if f.metadata['one_pass'] or not one_pass
        )

    @classmethod
    def from_config(cls, options: Mapping[str, Any], *, one_pass: bool = False) -> EngineSettings:
        """The settings of a model config's engine keys (absent keys keep their defaults).

        Args:
            options: ``{config key: value}``, e.g. ``dict(schedule=dict(max_iters=200),
                num_segments='auto')``.
            one_pass: refuse the keys one forward pass per image cannot honour.
        Raises:
            ValueError: one line naming the refused or unknown keys and the accepted ones,
                or a value a field does not accept.
        """
        accepted = cls.config_keys(one_pass=one_pass)
        unknown = sorted(set(options) - set(cls.config_keys()))
        if unknown:
            raise ValueError(
                f'unknown model option{"s" if len(unknown) > 1 else ""} {", ".join(unknown)} '
                f'(engine options: {", ".join(accepted)})'
            )
        refused = sorted(set(options) - set(accepted))
        if refused:
            raise ValueError(
                f'{", ".join(refused)}: per-image optimisation setting'
                f'{"s" if len(refused) > 1 else ""}, meaningless for one forward pass per image '
                f'(reference-image mode); of the engine options it accepts {", ".join(accepted)}'
            )
        values = {}
        for f in dataclasses.fields(cls):
            key = f.metadata['key'] or f.name
            if key in options:
                values[f.name] = f.metadata['parse'](options[key])
        return cls(**values)
