"""The reports' prose: the named blocks of ``docs/templates/results.md.in``, filled in.

Every sentence a reproduction report prints is a block of the template (its preamble gives the
format), so the renderers (:mod:`.render`, :mod:`.table_report`) only compute the values they
substitute.
"""

from __future__ import annotations

import re
from functools import cache
from string import Template
from typing import Any

from .provenance import REPO_ROOT

TEMPLATE = 'docs/templates/results.md.in'
_BLOCK = re.compile(r'<!-- block: (?P<name>[\w-]+) -->')


@cache
def template_blocks(path: str = TEMPLATE) -> dict[str, Template]:
    """The named blocks of the report template (see its preamble for the format)."""
    blocks: dict[str, list[str]] = {}
    lines: list[str] | None = None
    for line in (REPO_ROOT / path).read_text(encoding='utf-8').splitlines():
        match = _BLOCK.fullmatch(line.strip())
        if match:
            lines = blocks.setdefault(match['name'], [])
        elif lines is not None:
            lines.append(line)
    return {name: Template('\n'.join(lines).strip('\n')) for name, lines in blocks.items()}


def fill(block: str, **values: Any) -> str:
    """The template block ``block`` with ``values`` substituted (every placeholder required)."""
    return template_blocks()[block].substitute(values)
