"""The config tree stays shallow, as in MMSegmentation: a config, at most one config it varies,
then the ``_base_`` files; and it holds no key that nothing reads."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from mmengine.config import Config

CONFIGS = Path(__file__).resolve().parents[2] / 'configs'
LEAVES = sorted(p for p in CONFIGS.rglob('*.py') if '_base_' not in p.parts)


def bases(path: Path) -> list[Path]:
    """The files ``path``'s ``_base_`` names, resolved."""
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], 'id', None) == '_base_':
            value = ast.literal_eval(node.value)
            return [
                (path.parent / name).resolve()
                for name in ([value] if isinstance(value, str) else value)
            ]
    return []


def depth(path: Path) -> int:
    """Files in the longest ``_base_`` chain from ``path``, itself included; the ``_base_``
    folder counts once (a model base shares ``_base_/models/data_preprocessor.py``)."""
    if '_base_' in path.parts:
        return 1
    return 1 + max((depth(base) for base in bases(path)), default=0)


@pytest.mark.parametrize('path', LEAVES, ids=lambda p: str(p.relative_to(CONFIGS)))
def test_every_config_is_at_most_three_files_deep(path: Path):
    assert depth(path) <= 3


def test_no_config_holds_keys_that_nothing_reads():
    for path in LEAVES:
        cfg = Config.fromfile(str(path))
        assert not {'env_cfg', 'log_level'} & set(cfg), path
