"""Config overrides: one vocabulary of keys, checked before anything is merged.

Every way of changing a loaded config goes through :func:`apply_overrides`: ``--cfg-options``
and the named flags of the tools (:mod:`dynaseg.cli`), ``segment_image(**overrides)``
(:mod:`.inference`) and the settings of a search (:mod:`dynaseg.tuning`). mmengine merges any key,
so without a check a misspelt key is ignored silently, or ends in a traceback from the class
that reads it once the model is built.

A key is valid if the loaded config holds it, or if what will read it accepts it:

- a section with a registered ``type`` (``model``, ``model.backbone``, ``model.loss.weight``,
  ``dataset``, an ``evaluator`` entry, ...): the ``__init__`` parameters of that class and of
  the classes it passes ``**kwargs`` on to. ``model.num_segments`` is valid for DynaSeg, and
  ``model.scale`` for the Felzenszwalb baseline, whether or not the config file spells them;
- the untyped sections the segmentor unpacks into the engine's dataclasses
  (:data:`SECTIONS`: ``model.schedule`` takes the fields of :class:`~dynaseg.engine.Schedule`);
- ``model.optimizer``: the arguments of its ``torch.optim`` class.

An unknown key is refused in one line naming the closest valid key
(:class:`UnknownConfigKeyError`). A tool accepts only the keys it reads (:data:`KEY_READERS`):
the folder tool refuses ``picture_pixels``, naming the dataset runners that read it, instead of
ignoring it. The settings users change most also have plain names
(:data:`KEYWORDS`), one table for ``segment_image(path, num_segments=5)`` and the tools' named
flags (``--num-segments 5``).
"""

from __future__ import annotations

import dataclasses
import difflib
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from mmengine.config import Config

from dynaseg.engine import EngineSettings, Schedule, SilhouetteConfig
from dynaseg.engine.consensus import Consensus
from dynaseg.engine.schedule import LossPlateau
from dynaseg.models.losses.dynamic_weight import registered_weightings

__all__ = [
    'DATASET_RUNNERS',
    'FOLDER_TOOL',
    'KEYWORDS',
    'KEY_READERS',
    'SECTIONS',
    'WEIGHTINGS',
    'Keyword',
    'UnknownConfigKeyError',
    'apply_overrides',
    'check_overrides',
    'keyword_options',
]

#: ``weighting`` -> the loss weight config with its default mu, read from the registry.
WEIGHTINGS = {
    name: dict(type=cls.__name__, mu=cls.default_mu)
    for name, cls in registered_weightings().items()
}


def _weight_config(weighting: str) -> dict:
    if weighting not in WEIGHTINGS:
        raise ValueError(f'weighting must be one of {sorted(WEIGHTINGS)}, got {weighting!r}')
    # _delete_ replaces the weight dict, so no key of another weighting class survives.
    return dict(WEIGHTINGS[weighting], _delete_=True)


@dataclass(frozen=True)
class Keyword:
    """A setting with a plain name: the config keys it sets, and its flag's type and help.

    Attributes:
        keys: the config keys set to the value (all of them: ``channels`` is both the
            extractor's width and its response channels, as in Kim et al.'s ``nChannel``).
        type: what the flag parses its text with.
        help: the flag's help text (the config keys are appended).
        aliases: the authors' flag names, accepted beside ``--<name-with-hyphens>``.
        choices: the values allowed, if only some are.
        to_config: turns the value into what the keys hold (default: the value itself).
    """

    keys: tuple[str, ...]
    type: Callable[[str], Any] = int
    help: str = ''
    aliases: tuple[str, ...] = ()
    choices: tuple[Any, ...] | None = None
    to_config: Callable[[Any], Any] | None = None

    def options(self, value: Any) -> dict[str, Any]:
        """The ``--cfg-options`` entries that ``value`` stands for."""
        converted = self.to_config(value) if self.to_config else value
        return dict.fromkeys(self.keys, converted)


#: The plain names of the common settings, in the order they are applied (``weighting``
#: replaces the weight config, then ``mu`` sets its scale).
KEYWORDS: dict[str, Keyword] = {
    'seed': Keyword(('model.seed',), help='initialisation seed (same seed, same labels)'),
    'weighting': Keyword(
        ('model.loss.weight',),
        str,
        'loss weighting: '
        + ', '.join(
            f'{name} ({cls.formula}, mu {cls.default_mu:g})'
            for name, cls in registered_weightings().items()
        ),
        choices=tuple(sorted(WEIGHTINGS)),
        to_config=_weight_config,
    ),
    'mu': Keyword(('model.loss.weight.mu',), float, 'mu of the weighting'),
    'channels': Keyword(
        ('model.backbone.channels', 'model.backbone.out_channels'),
        help='feature channels p and response channels q_max (the most labels)',
        aliases=('--nChannel',),
    ),
    'num_convs': Keyword(
        ('model.backbone.num_convs',), help='conv blocks M of the CNN', aliases=('--nConv',)
    ),
    'max_iters': Keyword(
        ('model.schedule.max_iters',),
        help='iteration budget of the (first) optimisation stage',
        aliases=('--maxIter',),
    ),
    'min_labels': Keyword(
        ('model.schedule.min_labels',),
        help='stop once this few labels remain',
        aliases=('--minLabels',),
    ),
    'patience': Keyword(
        ('model.schedule.patience',),
        help='stop once the label count has not changed for this many iterations',
    ),
    'num_segments': Keyword(
        ('model.num_segments',),
        help='return exactly K labels per image. K becomes the stop target in place of '
        'min_labels (stop once q <= K); the schedule still stops at patience or max_iters, '
        'so optimisation often ends with more than K labels, which are then merged (Ward, '
        'by response similarity) or split to exactly K. Default: the automatic label count',
    ),
    'lr': Keyword(('model.optimizer.lr',), float, 'SGD learning rate'),
    'scribble_weight': Keyword(
        ('model.scribble.weight',), float, 'factor on the scribble cross-entropy (0.5)'
    ),
}


class UnknownConfigKeyError(ValueError):
    """An override names a key that neither the config nor the class reading it knows."""


# ----------------------------------------------------------------------------- valid keys


#: Untyped sections whose keys a class fixes: the dataclass the segmentor builds from them, or
#: the only key it reads (``model.scribble``).
SECTIONS: dict[str, type | tuple[str, ...]] = {
    'model.schedule': Schedule,
    'model.schedule.loss_plateau': LossPlateau,
    'model.silhouette': SilhouetteConfig,
    'model.consensus': Consensus,
    'model.scribble': ('weight',),
}


#: Top-level keys the runners read whether or not the config file sets them
#: (``configs/_base_/default_runtime.py`` holds their defaults).
RUNNER_KEYS = ('batch_size', 'picture_pixels')

#: The tools that read config keys, as a refusal names them.
FOLDER_TOOL = 'the folder tool (dynaseg-segment, tools/DynaSeg_SCF_BSD_VOC.py)'
DATASET_RUNNERS = 'the dataset runners (tools/evaluate_config.py, tools/DynaSeg_COCO.py)'

#: Which tools read each top-level config key (the keys below it go with it). A tool given
#: to :func:`check_overrides` refuses a key it does not read, naming the tools that do.
KEY_READERS: dict[str, tuple[str, ...]] = {
    'model': (FOLDER_TOOL, DATASET_RUNNERS),
    'batch_size': (FOLDER_TOOL, DATASET_RUNNERS),
    'hierarchy': (FOLDER_TOOL, DATASET_RUNNERS),
    'picture_pixels': (DATASET_RUNNERS,),
    'data_root': (DATASET_RUNNERS,),
    'split': (DATASET_RUNNERS,),
    'dataset': (DATASET_RUNNERS,),
    'evaluator': (DATASET_RUNNERS,),
}


def _check_reader(key: str, tool: str) -> None:
    """Refuse ``key`` unless ``tool`` reads it (:data:`KEY_READERS`); the message names the
    tools that read it, or the keys ``tool`` reads (a close one first)."""
    top = key.split('.')[0]
    readers = KEY_READERS.get(top, ())
    if tool in readers:
        return
    own = [name for name, names in KEY_READERS.items() if tool in names]
    shown = ', '.join(f'{name}.*' if name == 'model' else name for name in own)
    if readers:
        raise UnknownConfigKeyError(
            f'config key {key!r} is read by {" and ".join(readers)}, not by {tool}, which '
            f'reads {shown}'
        )
    close = difflib.get_close_matches(top, own, n=1, cutoff=0.6)
    hint = f': did you mean {".".join([close[0], *key.split(".")[1:]])!r}?' if close else ''
    raise UnknownConfigKeyError(f'unknown config key {key!r} ({tool} reads {shown}){hint}')


def _engine_options(cls: type) -> set[str]:
    """The keys a DynaSeg segmentor takes through ``**kwargs`` and reads itself: the engine's
    options (:class:`~dynaseg.engine.EngineSettings`). All of them: a mode that cannot honour
    one (one forward pass per image) refuses it with its own reason when it is built."""
    from dynaseg.models.segmentors import DynaSegBase

    return set(EngineSettings.config_keys()) if issubclass(cls, DynaSegBase) else set()


def _init_parameters(cls: type) -> set[str]:
    """Named ``__init__`` parameters of ``cls`` and of the bases it passes ``**kwargs`` to,
    and the options a segmentor reads from its ``**kwargs`` (:func:`_engine_options`)."""
    import torch

    names: set[str] = _engine_options(cls)
    for klass in cls.__mro__:
        if klass in (object, torch.nn.Module) or '__init__' not in vars(klass):
            continue
        parameters = inspect.signature(vars(klass)['__init__']).parameters.values()
        names |= {
            p.name
            for p in parameters
            if p.name != 'self' and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        }
        if not any(p.kind is p.VAR_KEYWORD for p in parameters):
            break
    return names


def _class_of(type_: Any, path: str) -> type | None:
    """The class a section's ``type`` names: a registered one, or torch.optim's for the
    optimizer (built straight from ``torch.optim``); None if nothing is registered by that name."""
    if isinstance(type_, type):
        return type_
    if not isinstance(type_, str):
        return None
    if path.endswith('optimizer'):
        import torch

        found = getattr(torch.optim, type_, None)
        return found if isinstance(found, type) else None
    from dynaseg.registry import DATASETS, METRICS, MODELS, TRANSFORMS
    from dynaseg.utils import register_all_modules

    register_all_modules(init_default_scope=False)
    for registry in (MODELS, DATASETS, METRICS, TRANSFORMS):
        found = registry.get(type_)
        if found is not None:
            return found
    return None


def _accepted_keys(node: Any, path: str) -> set[str] | None:
    """The keys valid directly under ``path`` (holding ``node``, None if the config has no
    such section); None when nothing says which keys are valid (any key is accepted)."""
    if isinstance(node, (list, tuple)):
        return {str(i) for i in range(len(node))}
    section = SECTIONS.get(path)
    if section is not None:
        if isinstance(section, type):
            fixed = {f.name for f in dataclasses.fields(section)}
        else:
            fixed = set(section)
        return fixed | (set(node) if isinstance(node, Mapping) else set()) | {'_delete_'}
    if node is None:
        return None  # a section the config does not have, and no class that fixes its keys
    if not isinstance(node, Mapping):
        return set()  # a value: it has no keys below it
    keys = set(node) | {'_delete_'} | (set(RUNNER_KEYS) if path == '' else set())
    if 'type' in node:
        cls = _class_of(node['type'], path)
        if cls is None:
            return None  # a type registered elsewhere: its keys cannot be known here
        keys |= _init_parameters(cls)
    return keys


def _child(node: Any, part: str) -> Any:
    if isinstance(node, Mapping):
        return node.get(part)
    if isinstance(node, (list, tuple)) and part.isdigit() and int(part) < len(node):
        return node[int(part)]
    return None


def _flat_keys(node: Any, prefix: str = '') -> list[str]:
    """Every dotted key of the config's own dicts (lists are not entered)."""
    keys = []
    if isinstance(node, Mapping):
        for key, value in node.items():
            full = f'{prefix}{key}'
            keys.append(full)
            keys += _flat_keys(value, full + '.')
    return keys


def _suggestion(key: str, part: str, parent: str, allowed: set[str], tree: Mapping) -> str | None:
    """The closest valid key to ``key``: a sibling of its unknown ``part``, a plain keyword's
    config key, or any key of the config."""
    close = difflib.get_close_matches(part, sorted(allowed), n=1, cutoff=0.6)
    if close:
        return f'{parent}.{close[0]}' if parent else close[0]
    keyword = difflib.get_close_matches(key, list(KEYWORDS), n=1, cutoff=0.75)
    if keyword:
        return KEYWORDS[keyword[0]].keys[0]
    anywhere = difflib.get_close_matches(key, _flat_keys(tree), n=1, cutoff=0.6)
    return anywhere[0] if anywhere else None


def _owner(node: Any, path: str) -> str | None:
    """The name of what reads the keys under ``path``: its section class or registered type."""
    section = SECTIONS.get(path)
    if isinstance(section, type):
        return section.__name__
    if isinstance(node, Mapping) and 'type' in node:
        cls = _class_of(node['type'], path)
        return cls.__name__ if cls is not None else None
    return None


def _refusal(
    key: str, part: str, parent: str, allowed: set[str], tree: Mapping, owner: str | None
) -> str:
    if not allowed:
        return f'unknown config key {key!r}: {parent!r} holds a value, not a section'
    where = owner or (repr(parent) if parent else 'the config')
    head = f'unknown config key {key!r} ({where} takes no {part!r})'
    suggestion = _suggestion(key, part, parent, allowed, tree)
    if suggestion is not None:
        return f'{head}: did you mean {suggestion!r}?'
    shown = sorted(k for k in allowed if not k.startswith('_'))
    more = f' ... ({len(shown) - 12} more)' if len(shown) > 12 else ''
    return f'{head}; valid keys there: {", ".join(shown[:12])}{more}'


def _check_key(key: str, value: Any, tree: Mapping) -> None:
    parts = key.split('.')
    node: Any = tree
    for depth, part in enumerate(parts):
        parent = '.'.join(parts[:depth])
        allowed = _accepted_keys(node, parent)
        if allowed is None:
            return
        if part not in allowed:
            raise UnknownConfigKeyError(
                _refusal(key, part, parent, allowed, tree, _owner(node, parent))
            )
        node = _child(node, part)
    if isinstance(value, Mapping):
        _check_section(key, value, node, tree)


def _check_section(path: str, value: Mapping, node: Any, tree: Mapping) -> None:
    """Check the keys of a dict value against the section it replaces or merges into."""
    merging = isinstance(node, Mapping) and not value.get('_delete_')
    base: dict[str, Any] = dict(node) if merging else {}
    if 'type' in value:
        base['type'] = value['type']
    allowed = _accepted_keys(base or None, path)
    if allowed is None:
        return
    for part, sub_value in value.items():
        if part in ('_delete_', 'type'):
            continue
        if part not in allowed:
            raise UnknownConfigKeyError(
                _refusal(f'{path}.{part}', part, path, allowed, tree, _owner(base, path))
            )
        if isinstance(sub_value, Mapping):
            _check_section(f'{path}.{part}', sub_value, _child(base, part), tree)


def check_overrides(cfg: Config, *options: Mapping[str, Any], tool: str | None = None) -> None:
    """Raise :class:`UnknownConfigKeyError` (a ``ValueError``) for the first key of
    ``options`` (``--cfg-options`` form: dotted keys) that ``cfg`` does not accept.

    Several mappings are alternatives, each checked against ``cfg`` (a search's settings).
    Within one, a key is checked against the config with the keys before it set, so
    ``model.type=FelzenszwalbSegmentor model.scale=100`` passes. With ``tool`` (e.g.
    :data:`FOLDER_TOOL`), a key that tool does not read is refused too (:data:`KEY_READERS`).
    """
    for option in options:
        tree = cfg.to_dict()
        for key, value in option.items():
            if tool is not None:
                _check_reader(str(key), tool)
            _check_key(str(key), value, tree)
            _set(tree, str(key).split('.'), value)


def _set(tree: dict, parts: list[str], value: Any) -> None:
    """Set a checked dotted key in the plain-dict copy of the config (lists left as they are)."""
    node: Any = tree
    for part in parts[:-1]:
        if not isinstance(node, dict):
            return
        node = node.setdefault(part, {})
    if isinstance(node, dict):
        node[parts[-1]] = value


# ----------------------------------------------------------------------------- applying


def keyword_options(settings: Mapping[str, Any]) -> dict[str, Any]:
    """``--cfg-options`` form of ``settings``: a plain name of :data:`KEYWORDS` becomes its
    config keys (``num_segments=5`` -> ``model.num_segments=5``); None values are left out;
    any other key is passed on as a config key, to be checked by :func:`check_overrides`."""
    options: dict[str, Any] = {}
    # Plain names first, in table order; explicit config keys last, so they win.
    order = list(KEYWORDS)
    ordered = sorted(settings, key=lambda k: order.index(k) if k in KEYWORDS else len(order))
    for name in ordered:
        value = settings[name]
        if name in KEYWORDS:
            if value is not None:
                options.update(KEYWORDS[name].options(value))
        else:
            options[name] = value
    return options


#: Top-level keys a dataset config copies into ``dataset`` when the file is parsed.
DATASET_COPIES = ('data_root', 'split')


def apply_overrides(
    cfg: Config, options: Mapping[str, Any] | None, tool: str | None = None
) -> Config:
    """Check ``options`` (:func:`check_overrides`, for ``tool`` if given) and merge them into
    ``cfg`` (returned).

    ``data_root`` and ``split`` reach the dataset: the dataset configs copy them into
    ``dataset`` when the file is parsed, so merging the top-level key alone would not move it.
    An explicit ``dataset.<key>`` in the same options wins.
    """
    if not options:
        return cfg
    check_overrides(cfg, options, tool=tool)
    merged = dict(options)
    if isinstance(cfg.get('dataset'), Mapping):
        for key in DATASET_COPIES:
            if key in options and f'dataset.{key}' not in options:
                merged[f'dataset.{key}'] = options[key]
    cfg.merge_from_dict(merged)
    return cfg
