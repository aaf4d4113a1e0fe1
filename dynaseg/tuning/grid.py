"""A search's settings: ``--grid`` axes and ``--setting`` items parsed, expanded or sampled,
named, and the guard that keeps a search off the test split.

    >>> from dynaseg.tuning.grid import parse_axes, expand_grid, setting_names
    >>> settings = expand_grid(parse_axes(['model.loss.weight.mu=8,15', 'model.seed=0']))
    >>> setting_names(settings)
    ['mu=8__seed=0', 'mu=15__seed=0']
"""

from __future__ import annotations

import ast
import hashlib
import itertools
import json
import math
import random
import re
from collections.abc import Sequence
from typing import Any

__all__ = [
    'TestSplitError',
    'canonical_overrides',
    'check_split',
    'dedupe_settings',
    'expand_grid',
    'parse_axes',
    'parse_setting',
    'parse_value',
    'sample_grid',
    'setting_name',
    'setting_names',
]

_NAME_UNSAFE = re.compile(r'[^A-Za-z0-9._+-]+')
_MAX_NAME = 120


class TestSplitError(ValueError):
    """A search was asked to choose on the test split."""


def parse_value(text: str) -> Any:
    """A Python literal (int, float, None, True/False, tuple, list, dict, quoted string) or,
    failing that, the text itself as a string."""
    try:
        return ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return text.strip()


def _split_top_level(text: str) -> list[str]:
    """``text`` split at the commas outside brackets and quotes."""
    parts, depth, quote, start = [], 0, '', 0
    for i, char in enumerate(text):
        if quote:
            quote = '' if char == quote and text[i - 1] != '\\' else quote
        elif char in '\'"':
            quote = char
        elif char in '([{':
            depth += 1
        elif char in ')]}':
            depth -= 1
        elif char == ',' and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def _key_and_text(item: str) -> tuple[str, str]:
    key, equals, text = item.partition('=')
    if not equals or not key.strip() or not text.strip():
        raise ValueError(f'expected key=value, got {item!r}')
    return key.strip(), text


def parse_axes(items: Sequence[str]) -> dict[str, list[Any]]:
    """``['a.b=1,2', 'c=None,(1, 2)']`` -> ``{'a.b': [1, 2], 'c': [None, (1, 2)]}``.

    Commas inside brackets or quotes do not split values; a key given twice is an error.
    """
    axes: dict[str, list[Any]] = {}
    for item in items:
        key, text = _key_and_text(item)
        if key in axes:
            raise ValueError(f'key {key!r} given twice')
        parts = _split_top_level(text)
        if any(not part.strip() for part in parts):
            raise ValueError(f'empty value in {item!r}')
        axes[key] = [parse_value(part) for part in parts]
    return axes


def parse_setting(items: Sequence[str]) -> dict[str, Any]:
    """``['a.b=1', 'c=(1, 2)']`` -> ``{'a.b': 1, 'c': (1, 2)}``: one explicit setting."""
    setting: dict[str, Any] = {}
    for item in items:
        key, text = _key_and_text(item)
        if key in setting:
            raise ValueError(f'key {key!r} given twice')
        setting[key] = parse_value(text)
    return setting


def expand_grid(axes: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """The cartesian product of ``axes``, the last key varying fastest (no axes: no setting)."""
    if not axes:
        return []
    keys = list(axes)
    return [dict(zip(keys, values)) for values in itertools.product(*axes.values())]


def sample_grid(axes: dict[str, list[Any]], count: int, seed: int) -> list[dict[str, Any]]:
    """``count`` distinct combinations of ``axes`` drawn with ``seed``, in grid order.

    The same axes, count and seed always give the same settings; a count at least the grid's
    size gives the whole grid. Only the drawn combinations are built, so the grid may be huge.
    """
    if count < 1:
        raise ValueError(f'--random needs a positive count, got {count}')
    if not axes:
        return []
    sizes = [len(values) for values in axes.values()]
    total = math.prod(sizes)
    if count >= total:
        return expand_grid(axes)
    settings = []
    for index in sorted(random.Random(seed).sample(range(total), count)):
        chosen = []
        for size in reversed(sizes):  # mixed radix, the last key varying fastest
            index, digit = divmod(index, size)
            chosen.append(digit)
        digits = reversed(chosen)
        settings.append({key: axes[key][d] for key, d in zip(axes, digits)})
    return settings


def _short_keys(keys: Sequence[str]) -> dict[str, str]:
    """Each dotted key's shortest suffix not shared by another key of the same setting."""
    parts = {key: key.split('.') for key in keys}
    short = {}
    for key, words in parts.items():
        for n in range(1, len(words) + 1):
            suffix = words[-n:]
            if all(other[-n:] != suffix for k, other in parts.items() if k != key):
                break
        short[key] = '.'.join(suffix)
    return short


def _safe(text: str) -> str:
    """Runs of unsafe characters -> ``-``, dropped at the ends (a sign of ``-0.5`` is kept)."""
    safe = _NAME_UNSAFE.sub('-', text)
    start = 1 if safe.startswith('-') and not text.startswith('-') else 0
    end = len(safe) - (1 if safe.endswith('-') and not text.endswith('-') else 0)
    return safe[start:end] or '-'


def canonical_overrides(overrides: dict[str, Any]) -> dict[str, str]:
    """The overrides as ``key -> repr(value)``: what identifies a setting in its work dir."""
    return {key: repr(value) for key, value in overrides.items()}


def _digest(overrides: dict[str, Any]) -> str:
    text = json.dumps(canonical_overrides(overrides), sort_keys=True)
    return hashlib.sha1(text.encode()).hexdigest()[:8]


def setting_name(overrides: dict[str, Any]) -> str:
    """A readable, filesystem-safe, stable name: ``mu=8__patience=20`` (``base`` if empty).

    Keys are shortened to their last dotted part(s) (enough to tell this setting's keys apart),
    values written as given (strings bare, others as ``repr``); characters outside
    ``[A-Za-z0-9._+-]`` become ``-``. A name that would be too long is cut and ends in a hash of
    the overrides.
    """
    if not overrides:
        return 'base'
    short = _short_keys(list(overrides))
    words = []
    for key, value in overrides.items():
        text = value if isinstance(value, str) else repr(value)
        words.append(f'{_safe(short[key])}={_safe(text)}')
    name = '__'.join(words)
    if len(name) > _MAX_NAME:
        name = f'{name[: _MAX_NAME - 10]}__{_digest(overrides)}'
    return name


def setting_names(settings: Sequence[dict[str, Any]]) -> list[str]:
    """:func:`setting_name` of each setting; names two settings would share get a hash suffix."""
    names = [setting_name(s) for s in settings]
    counts: dict[str, int] = {}
    for name in names:
        counts[name] = counts.get(name, 0) + 1
    return [
        f'{name}__{_digest(s)}' if counts[name] > 1 else name
        for name, s in zip(names, settings, strict=True)
    ]


def dedupe_settings(settings: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """``settings`` without repeats (the same overrides given twice run once), in order."""
    seen, kept = set(), []
    for setting in settings:
        key = json.dumps(canonical_overrides(setting), sort_keys=True)
        if key not in seen:
            seen.add(key)
            kept.append(setting)
    return kept


def check_split(split: str, report_test: bool) -> None:
    """Refuse to search on a test split (any split whose name contains ``test``) unless
    ``report_test``: settings are chosen on train or val, test only reports the chosen ones."""
    if 'test' in split.lower() and not report_test:
        raise TestSplitError(
            f'refusing to search on the {split!r} split: nothing is chosen on test. Search on '
            '--split train or --split val; to report final settings on test (no best row is '
            'picked), pass --report-test'
        )
