"""The manual holds together: every relative link resolves, the index lists every page, every
generated page says which config it was generated for (and whether that is still the default),
and no page speaks of the machine it was made on beyond its hardware."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dynaseg.reports.stamp import generated_pages, stamp_text

REPO_ROOT = Path(__file__).resolve().parents[1]
DOCS = REPO_ROOT / 'docs'
#: The pages a reader follows links through: the README, docs/ and the configs' README.
PAGES = sorted(
    [REPO_ROOT / 'README.md', *DOCS.rglob('*.md'), *(REPO_ROOT / 'configs').rglob('*.md')]
)
LINK = re.compile(r'\]\(([^)\s]+)\)')
#: Words about the session a page was made in, not about the project or its hardware.
MACHINE_WORDS = re.compile(r'this task|not drawn|\.\./shared/data|`status`', re.IGNORECASE)


def anchors(page: Path) -> set[str]:
    """GitHub's anchors of a page's headings."""
    headings = re.findall(r'^#+ (.+)$', page.read_text(encoding='utf-8'), re.MULTILINE)
    return {re.sub(r'[^\w\- ]', '', h).strip().lower().replace(' ', '-') for h in headings}


@pytest.mark.parametrize('page', PAGES, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_every_relative_link_resolves(page: Path) -> None:
    broken = []
    for target in LINK.findall(page.read_text(encoding='utf-8')):
        if re.match(r'^[a-z]+:', target):
            continue  # a web address
        path, _, anchor = target.partition('#')
        resolved = (page.parent / path).resolve() if path else page
        if not resolved.exists():
            broken.append(target)
        elif anchor and resolved.suffix == '.md' and anchor not in anchors(resolved):
            broken.append(target)
    assert not broken, f'{page.relative_to(REPO_ROOT)}: {broken}'


def test_the_index_lists_every_page() -> None:
    index = (DOCS / 'README.md').read_text(encoding='utf-8')
    linked = {(DOCS / target.partition('#')[0]).resolve() for target in LINK.findall(index)}
    pages = {p.resolve() for p in DOCS.rglob('*.md') if p.name != 'README.md'}
    assert not sorted(str(p.relative_to(DOCS)) for p in pages - linked)


@pytest.mark.parametrize('page', generated_pages(DOCS), ids=lambda p: str(p.relative_to(DOCS)))
def test_every_generated_page_is_stamped_against_todays_default(page: Path) -> None:
    """Fails after DEFAULT_CONFIG changes or a tool rewrote a page, until
    ``python tools/stamp_docs.py`` is run."""
    text = page.read_text(encoding='utf-8')
    assert stamp_text(text) == text
    assert '> Generated for `' in text


@pytest.mark.parametrize('page', PAGES, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_no_page_speaks_of_the_session_it_was_made_in(page: Path) -> None:
    assert not MACHINE_WORDS.findall(page.read_text(encoding='utf-8'))


#: The tuning tables of the log (tools/tune.py) and the result pages (tools/reproduce.py,
#: tools/hierarchy_report.py).
TUNING_TABLES = sorted((DOCS / 'log').glob('tuning*.md'))
RESULT_PAGES = sorted((DOCS / 'results').glob('*.md'))


@pytest.mark.parametrize('page', TUNING_TABLES, ids=lambda p: p.name)
def test_a_tuning_table_keeps_its_per_image_results_or_says_they_were_not_kept(page: Path):
    """Every done row re-renders from a saved per-image result (``--table-only``), or the page
    says that its results were not kept and its rows cannot be re-rendered."""
    text = page.read_text(encoding='utf-8')
    folder = page.with_suffix('')
    if not folder.is_dir():
        assert '- Per-image results: not kept' in text
        return
    done = re.findall(r'^\| (\S+) \|.*\| done \|$', text, re.MULTILINE)
    assert done, f'{page.name}: no done row'
    missing = [
        n for n in (name.strip('*') for name in done) if not (folder / f'{n}.json').is_file()
    ]
    assert not missing, f'{page.name}: no saved result for {missing}'


@pytest.mark.parametrize('page', RESULT_PAGES, ids=lambda p: p.name)
def test_a_result_page_keeps_its_per_image_results_or_says_they_were_not_kept(page: Path):
    """A result page re-renders from the per-image results beside it (``docs/results/<page>/``),
    or says that they were not kept."""
    folder = page.with_suffix('')
    if folder.is_dir():
        assert any(folder.iterdir()), f'{folder} is empty'
    else:
        assert 'Per-image results: not kept' in page.read_text(encoding='utf-8')


def _pip_words(text: str, first: str) -> set[str]:
    """The package words of the ``pip install --no-deps mmengine...`` command in ``text``."""
    start = text.index(first)
    command = text[start : text.index('\n', text.index('pycocotools', start))]
    words = command.replace('\\', ' ').split()
    return {w for w in words if '==' in w or w.isalpha() and w not in {'pip', 'install'}}


def test_the_gpu_install_of_the_readme_is_the_one_gpu_check_runs():
    """Beside a CUDA torch, the README's first pip line and tools/gpu_check.sh's add the same
    packages, the hierarchy's higra among them (every tool imports it)."""
    readme = _pip_words((REPO_ROOT / 'README.md').read_text(), 'pip install --no-deps mmengine')
    script = (REPO_ROOT / 'tools' / 'gpu_check.sh').read_text()
    check = _pip_words(script, 'pip install --no-deps mmengine')
    assert readme == check
    assert {'higra==0.6.13', 'pycocotools==2.0.11', 'mmsegmentation==1.2.2'} <= readme
    pins = (REPO_ROOT / 'requirements.txt').read_text()
    assert all(word in pins for word in readme if '==' in word)
