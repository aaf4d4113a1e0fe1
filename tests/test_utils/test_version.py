"""The package version agrees with CHANGELOG.md."""

import re
from pathlib import Path

import dynaseg

CHANGELOG = Path(__file__).resolve().parents[2] / 'CHANGELOG.md'


def _release(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split('.'))


def test_version_follows_the_newest_changelog_release():
    changelog = CHANGELOG.read_text(encoding='utf-8')
    released = re.findall(r'^## \[(\d+\.\d+\.\d+)\]', changelog, flags=re.MULTILINE)
    assert released, 'CHANGELOG.md names no released version'
    newest = _release(released[0])
    match = re.fullmatch(r'(\d+\.\d+\.\d+)(\.dev\d+)?', dynaseg.__version__)
    assert match, f'version {dynaseg.__version__!r} is not X.Y.Z or X.Y.Z.devN'
    if re.search(r'^## \[Unreleased\]', changelog, flags=re.MULTILINE):
        # Changes after the newest release: a development version of a later one.
        assert match.group(2) and _release(match.group(1)) > newest
    else:
        assert not match.group(2) and _release(match.group(1)) == newest
