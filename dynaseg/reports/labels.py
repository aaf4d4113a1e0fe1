"""Row labels, read from a run's model config (never from its file name).

The columns method, extractor, Silhouette, mode and schedule each describe one part of the model
config; :func:`levers_label` names everything else the config sets away from the authors' model
(:data:`AUTHORS_CONFIG`), computed as the difference of the two configs, so a key added to the
engine later is named without a list to keep up to date. A model that is not a DynaSeg variant
(a classical baseline, say) is labelled by its type and parameters.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from .provenance import REPO_ROOT

#: The authors' model (DynaSeg-FSF, CNN M=2, their constants; the project's fast schedule):
#: what the levers of a row are counted from.
AUTHORS_CONFIG = 'configs/dynaseg/dynaseg-fsf_cnn-m2_fast_bsds500.py'
NO_LEVERS = "none (authors' constants)"

#: Model keys another column describes (dotted prefixes): never counted as levers.
OTHER_COLUMNS = (
    'type',  # mode
    'data_preprocessor',
    'checkpoint',  # mode (a warm start or a one pass), extractor (ResNet weights)
    'reference',  # mode and schedule of a one pass
    'loss.weight',  # method
    'backbone',  # extractor (but for its padding, below)
    'silhouette.enabled',  # Silhouette
    'schedule.max_iters',  # schedule
    'schedule.coarse_max_pixels',
    'schedule.max_pixels',
)
LEVER_KEYS_TOO = ('backbone.padding_mode',)  # inside a prefix above, still a lever


def _value(value: Any) -> str:
    return f'{value:g}' if isinstance(value, float) else str(value)


def _refine_text(refiners: list[dict[str, Any]] | None) -> str:
    """``model.refine`` in a row: each refiner and the classical method of its regions."""
    kinds = {'RegionVote': 'vote', 'RegionOverlay': 'overlay'}
    parts = []
    for refiner in refiners or ():
        regions = dict(refiner.get('regions', {}))
        method = str(regions.pop('type', '?')).removesuffix('Segmentor')
        params = ', '.join(
            f'{k}={_value(v)}' for k, v in regions.items() if k != 'data_preprocessor'
        )
        kind = str(refiner.get('type', '?'))
        parts.append(f'{kinds.get(kind, kind)} {method}({params})')
    return 'refined: ' + ' + '.join(parts) if parts else 'unrefined'


#: How a lever reads in a row (dotted key -> text); any other key reads ``key=value``.
LEVER_TEXT = {
    'refine': _refine_text,
    'backbone.padding_mode': lambda v: f'{v} padding',
    'loss.continuity.edge_sigma': lambda v: f'edge-aware continuity s={_value(v)}',
    'loss.continuity.diagonal': lambda v: 'diagonal continuity' if v else 'no diagonal continuity',
    'loss.continuity.penalty': lambda v: f'{v} continuity',
    'loss.target': lambda v: f'{v.get("type")} targets',
    'consensus': lambda v: f'consensus of {v.get("seeds")} seeds',
    'seed': lambda v: f'seed {v}',
}


def _flatten(tree: dict[str, Any], prefix: str = '') -> Iterator[tuple[str, Any]]:
    """(dotted key, value) of every leaf; a key of :data:`LEVER_TEXT` is one leaf, whole."""
    for key, value in tree.items():
        dotted = f'{prefix}{key}'
        if isinstance(value, dict) and dotted not in LEVER_TEXT:
            yield from _flatten(value, f'{dotted}.')
        else:
            yield dotted, value


def _shown_elsewhere(key: str) -> bool:
    if key in LEVER_KEYS_TOO:
        return False
    return any(key == p or key.startswith(f'{p}.') for p in OTHER_COLUMNS)


@cache
def _authors_model() -> tuple[tuple[str, Any], ...]:
    from mmengine.config import Config

    return tuple(_flatten(Config.fromfile(str(REPO_ROOT / AUTHORS_CONFIG)).model.to_dict()))


def is_dynaseg(model: dict[str, Any]) -> bool:
    """Whether the model is a DynaSeg variant (an extractor, a loss, a schedule), not a classical
    baseline (none of them)."""
    return any(key in model for key in ('backbone', 'loss', 'schedule'))


def baseline_label(model: dict[str, Any]) -> str:
    """A model that is not a DynaSeg variant: its type and parameters, then its refiners."""
    params = [
        f'{k}={_value(v)}'
        for k, v in _flatten(model)
        if k.split('.')[0] not in ('type', 'data_preprocessor', 'refine')
    ]
    label = ' '.join([model.get('type', '?'), *params])
    return f'{label}, {_refine_text(model["refine"])}' if model.get('refine') else label


def levers_label(model: dict[str, Any]) -> str:
    """What the model config sets away from the authors' model, but for what other columns say
    (a key the run's config lacks is not applicable, not a lever)."""
    if not is_dynaseg(model):
        return baseline_label(model)
    authors = dict(_authors_model())
    levers = []
    for key, value in _flatten(model):
        if _shown_elsewhere(key) or authors.get(key, _MISSING) == value:
            continue
        text = LEVER_TEXT.get(key)
        levers.append(text(value) if text else f'{key}={_value(value)}')
    return ', '.join(levers) or NO_LEVERS


_MISSING = object()


def method_label(model: dict[str, Any]) -> str:
    """The weighting (its registered ``label``) and its mu, from ``model.loss.weight``; a
    baseline's type."""
    from dynaseg.models.losses.dynamic_weight import registered_weightings

    if not is_dynaseg(model):
        return model.get('type', '?')
    weight = model['loss']['weight']
    by_type = {cls.__name__: cls for cls in registered_weightings().values()}
    cls = by_type.get(weight['type'])
    if cls is None:  # registered elsewhere, without a label
        return f'{weight["type"]} mu={weight["mu"]:g}'
    return f'{cls.label} mu={weight.get("mu", cls.default_mu):g}'


def is_one_pass(model: dict[str, Any]) -> bool:
    """Whether the model labels each image with one forward pass (reference-image mode)."""
    return model.get('type') == 'DynaSegReferenceImage'


def mode_label(model: dict[str, Any]) -> str:
    """How each image's labels are made, from the model config: the segmentor type and
    ``model.checkpoint`` of a one pass, the ``model.checkpoint`` a warm start starts from, a
    baseline's algorithm, else a per-image random initialisation."""
    if not is_dynaseg(model):
        return f'classical ({model.get("type")})'
    checkpoint = model.get('checkpoint')
    if is_one_pass(model):
        name = Path(checkpoint).name if checkpoint else 'no checkpoint'
        return f'one pass ({model["type"]}, {name})'
    if checkpoint:
        return f'warm start from {Path(checkpoint).name}'
    return 'per image, random init'


def mode_with_levers(model: dict[str, Any]) -> str:
    """:func:`mode_label`, followed by the levers in brackets when the config sets any."""
    if not is_dynaseg(model):
        return baseline_label(model)
    levers = levers_label(model)
    return mode_label(model) + ('' if levers == NO_LEVERS else f' ({levers})')


def random_resnet(model: dict[str, Any]) -> bool:
    backbone = model.get('backbone') or {}
    return backbone.get('type') == 'ResNetFPNExtractor' and not model.get('checkpoint')


def extractor_label(model: dict[str, Any]) -> str:
    """The feature extractor, from ``model.backbone`` ('none' for a baseline)."""
    backbone = model.get('backbone')
    if backbone is None:
        return 'none'
    if backbone['type'] == 'DynaSegCNN':
        return f'CNN M={backbone["num_convs"]}'
    if backbone['type'] == 'ResNetFPNExtractor':
        weights = 'random init' if random_resnet(model) else Path(model['checkpoint']).name
        return f'ResNet-{backbone["depth"]}+FPN ({weights})'
    return backbone['type']


def silhouette_label(model: dict[str, Any]) -> str:
    """Whether the Silhouette phase lower-bounds q: yes / no, 'n/a' without optimisation."""
    if not is_dynaseg(model) or is_one_pass(model):
        return 'n/a'
    return 'yes' if (model.get('silhouette') or {}).get('enabled', False) else 'no'


def schedule_kind(model: dict[str, Any]) -> tuple[str, str]:
    """(template block, name) of the run's schedule: the fast coarse-to-fine one, or the
    authors' loop at a capped working size or at full size."""
    s = model.get('schedule') or {}
    if s.get('coarse_max_pixels'):
        return 'schedule-fast', 'fast'
    if s.get('max_pixels'):
        return 'schedule-capped', f'faithful-{s["max_pixels"] // 1000}k'
    return 'schedule-full', 'faithful'


def schedule_text(model: dict[str, Any]) -> str:
    """The resolution / schedule of a run, from its model config."""
    if not is_dynaseg(model):
        return 'no optimisation'
    if is_one_pass(model):
        reference = model.get('reference') or {}
        size = reference.get('max_pixels')
        return (
            f'one forward at {f"<= {size:,} px" if size else "full size"}, BatchNorm on '
            f'{reference.get("bn_stats")} statistics, no optimisation'
        )
    s = model.get('schedule') or {}
    if s.get('coarse_max_pixels'):
        until = (
            f'until q stable {s["patience"]} it (max {s.get("max_iters")}, '
            if s.get('patience')
            else f'for {s.get("max_iters")} it ('
        )
        return (
            f'fast: <= {s["coarse_max_pixels"]:,} px {until}stop q <= '
            f'{s.get("min_labels")}), '
            f'refine {s.get("refine_iters", 0)} it, label at <= {s.get("max_pixels", 0):,} px'
        )
    size = f'<= {s["max_pixels"]:,} px' if s.get('max_pixels') else 'full size'
    return f'{size}, up to {s.get("max_iters")} it, stop q <= {s.get("min_labels")}'
