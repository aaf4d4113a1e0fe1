"""A folder run never writes over an input, checks what it skips, takes any file name, reads only
the keys it uses and never reports "all done" with an image left undone (issue 37's seven
cases, each as it was demonstrated)."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from test_folder import TINY_CONFIG, TINY_OPTIONS, digest, run, statuses, tiny_cfg, write_image

from dynaseg.apis import DEFAULT_CONFIG, segment_folder
from dynaseg.apis.claims import Claims
from dynaseg.apis.folder import OtherConfigError
from dynaseg.apis.records import load_record
from dynaseg.apis.summary import EXIT_LEFT_TO_OTHERS, FolderSummary
from dynaseg.cli.segment import build_parser as build_segment_parser
from dynaseg.cli.segment import main as segment_main
from dynaseg.models.segmentors.dynaseg import DynaSeg
from dynaseg.utils.fileio import load_label_map

REPO_ROOT = Path(__file__).resolve().parents[2]


def tool_argv(input_folder: Path, work_dir: Path, *extra: str, config: Path = TINY_CONFIG):
    # One thread: the tool's note on a busy machine would otherwise add a line to stderr.
    argv = ['--input-folder', str(input_folder), '--work-dir', str(work_dir), '--no-progress']
    argv += ['--threads', '1', '--config', str(config), *extra]
    return argv + ['--cfg-options', *(f'{k}={v}' for k, v in TINY_OPTIONS.items())]


def logged_run(input_folder: Path, output_folder: Path, **kwargs) -> tuple[FolderSummary, list]:
    """A run with the default tiny config; its summary and the lines it logged."""
    messages: list[str] = []
    summary = segment_folder(
        input_folder, output_folder, tiny_cfg(), progress=False, log=messages.append, **kwargs
    )
    return summary, messages


def count_segmentations(monkeypatch) -> list[tuple[int, int]]:
    """Record the (H, W) of every image optimised from now on."""
    calls: list[tuple[int, int]] = []
    original = DynaSeg.segment

    def segment(self, image, *args, **kwargs):
        calls.append(tuple(image.shape[-2:]))
        return original(self, image, *args, **kwargs)

    monkeypatch.setattr(DynaSeg, 'segment', segment)
    return calls


# ----------------------------------------------------------------- 1. inputs are sacred


def test_output_folder_reached_by_another_path_is_refused(tmp_path, monkeypatch, capsys):
    """The same folder by two paths (what a bind mount gives, without root: a link whose
    resolved path is hidden), even with --overwrite: refused in one line, exit 2."""
    write_image(tmp_path / 'in' / 'x.png')
    (tmp_path / 'alias').symlink_to(tmp_path / 'in')
    # A bind mount is not a link: resolving the path does not reveal it. Make links look alike.
    monkeypatch.setattr(Path, 'resolve', lambda self, strict=False: Path(os.path.abspath(self)))
    before = digest(tmp_path / 'in')
    code = segment_main(tool_argv(tmp_path / 'in', tmp_path / 'alias', '--overwrite'))
    err = capsys.readouterr().err
    assert code == 2 and err.count('\n') == 1 and 'is the input folder' in err
    assert digest(tmp_path / 'in') == before


def test_bind_mounted_alias_of_the_input_is_refused(tmp_path):
    """``docker -v dir:/in -v dir:/out``: a real bind mount. Needs root, or unprivileged user
    namespaces (``unshare -r -m``); skipped elsewhere (the test above runs the same check)."""
    if (
        shutil.which('unshare') is None
        or subprocess.run(['unshare', '-r', '-m', 'true'], capture_output=True).returncode
    ):
        pytest.skip('a bind mount needs root or unprivileged user namespaces (unshare -r -m)')
    write_image(tmp_path / 'in' / 'x.png')
    (tmp_path / 'alias').mkdir()
    before = digest(tmp_path / 'in')
    script = (
        'import subprocess, sys\n'
        'subprocess.run(["mount", "--bind", sys.argv[1], sys.argv[2]], check=True)\n'
        'from dynaseg.cli.segment import main as segment_main\n'
        'sys.exit(segment_main(sys.argv[3:]))\n'
    )
    argv = tool_argv(tmp_path / 'in', tmp_path / 'alias', '--overwrite')
    done = subprocess.run(
        ['unshare', '-r', '-m', sys.executable, '-c', script, str(tmp_path / 'in'),
         str(tmp_path / 'alias'), *argv],
        capture_output=True, text=True, timeout=300,
        env=dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=str(REPO_ROOT)),
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert 'is the input folder' in done.stderr and done.stderr.count('\n') == 1
    assert digest(tmp_path / 'in') == before


def test_an_output_subfolder_that_is_the_input_is_refused(tmp_path):
    """``<out>/vis`` is the input folder: ``b``'s rendering ``vis/b_color.png`` would replace
    the input ``b_color.png``."""
    write_image(tmp_path / 'in' / 'b.png')
    write_image(tmp_path / 'in' / 'b_color.png', seed=1)
    (tmp_path / 'out').mkdir()
    (tmp_path / 'out' / 'vis').symlink_to(tmp_path / 'in')
    before = digest(tmp_path / 'in')
    with pytest.raises(ValueError, match=r'\(its vis/ folder\) is the input folder'):
        run(tmp_path / 'in', tmp_path / 'out', overwrite=True)
    assert digest(tmp_path / 'in') == before


# ----------------------------------------------------------------- 2. what counts as done


def test_a_replaced_input_is_redone_and_the_log_says_why(tmp_path):
    write_image(tmp_path / 'in' / 'a.png', 32, 32)
    write_image(tmp_path / 'in' / 'b.png', 32, 32)
    run(tmp_path / 'in', tmp_path / 'out')
    write_image(tmp_path / 'in' / 'a.png', 20, 30, seed=3)  # another picture, same name
    summary, messages = logged_run(tmp_path / 'in', tmp_path / 'out')
    assert statuses(summary) == {'a.png': 'done', 'b.png': 'skipped'}
    assert load_label_map(tmp_path / 'out' / 'a.png').shape == (20, 30)
    assert (
        f'redoing {tmp_path / "in" / "a.png"}: the input changed since its label map was made'
        in messages
    )
    record = load_record(tmp_path / 'out' / 'records' / 'a.json')
    assert record['input']['bytes'] == (tmp_path / 'in' / 'a.png').stat().st_size
    assert len(record['input']['sha256']) == 64


def test_a_moved_input_with_the_same_content_stays_done(tmp_path):
    """The fingerprint is the content: a copy with a new modification time is still done."""
    write_image(tmp_path / 'in' / 'a.png')
    run(tmp_path / 'in', tmp_path / 'out')
    os.utime(tmp_path / 'in' / 'a.png', (1, 1))
    assert statuses(run(tmp_path / 'in', tmp_path / 'out')) == {'a.png': 'skipped'}


def test_an_input_emptied_after_its_run_fails_and_keeps_no_label_map(tmp_path):
    write_image(tmp_path / 'in' / 'a.png')
    write_image(tmp_path / 'in' / 'b.png')
    run(tmp_path / 'in', tmp_path / 'out')
    (tmp_path / 'in' / 'a.png').write_bytes(b'')
    summary = run(tmp_path / 'in', tmp_path / 'out')
    assert statuses(summary) == {'a.png': 'failed', 'b.png': 'skipped'}
    assert summary.exit_code == 1
    assert not (tmp_path / 'out' / 'a.png').exists()  # no label map of the old picture stays
    assert not (tmp_path / 'out' / 'records' / 'a.json').exists()


def test_adding_a_file_never_renames_another_images_outputs(tmp_path, monkeypatch):
    write_image(tmp_path / 'in' / 'a.jpg', 20, 20)
    write_image(tmp_path / 'in' / 'a.png', 24, 32)
    run(tmp_path / 'in', tmp_path / 'out')
    write_image(tmp_path / 'in' / 'a_png.bmp', 16, 40, seed=2)
    calls = count_segmentations(monkeypatch)
    summary = run(tmp_path / 'in', tmp_path / 'out')
    assert statuses(summary) == {'a.jpg': 'skipped', 'a.png': 'skipped', 'a_png.bmp': 'done'}
    assert calls == [(16, 40)]
    stems = {Path(o.image).name: o.stem for o in summary.outcomes}
    assert stems['a.jpg'] == 'a_jpg' and stems['a.png'] == 'a_png'
    assert load_label_map(tmp_path / 'out' / 'a_png.png').shape == (24, 32)
    new = stems['a_png.bmp']
    assert load_label_map(tmp_path / 'out' / f'{new}.png').shape == (16, 40)
    assert load_record(tmp_path / 'out' / 'records' / f'{new}.json')['image'].endswith('a_png.bmp')


def test_a_second_file_of_the_same_stem_keeps_the_first_ones_outputs(tmp_path, monkeypatch):
    write_image(tmp_path / 'in' / 'a.jpg', 20, 20)
    run(tmp_path / 'in', tmp_path / 'out')
    write_image(tmp_path / 'in' / 'a.png', 24, 32)
    calls = count_segmentations(monkeypatch)
    summary = run(tmp_path / 'in', tmp_path / 'out')
    assert statuses(summary) == {'a.jpg': 'skipped', 'a.png': 'done'}
    assert calls == [(24, 32)]
    assert {o.stem for o in summary.outcomes} == {'a', 'a_png'}
    assert load_label_map(tmp_path / 'out' / 'a.png').shape == (20, 20)  # a.jpg's, as before


def test_a_record_without_a_fingerprint_is_redone_with_a_log_line(tmp_path):
    write_image(tmp_path / 'in' / 'a.png')
    run(tmp_path / 'in', tmp_path / 'out')
    path = tmp_path / 'out' / 'records' / 'a.json'
    record = json.loads(path.read_text())
    del record['input']  # as an older version wrote it
    path.write_text(json.dumps(record))
    summary, messages = logged_run(tmp_path / 'in', tmp_path / 'out')
    assert statuses(summary) == {'a.png': 'done'}
    assert any(m.endswith('a.png: its record predates input fingerprints') for m in messages)


# ----------------------------------------------------------------- 3. one config per folder


def test_a_worker_started_beside_another_with_another_seed_is_refused(tmp_path, monkeypatch):
    """Two workers started together: the second, with another seed, starts while the first
    optimises its first image (no label map exists yet) and is refused before any work."""
    for name in ('a.png', 'b.png', 'c.png'):
        write_image(tmp_path / 'in' / name)
    original = DynaSeg.segment
    refusals: list[str] = []

    def segment(self, image, *args, **kwargs):
        if not refusals:
            try:
                run(tmp_path / 'in', tmp_path / 'out', cfg=tiny_cfg(**{'model.seed': 7}))
                refusals.append('not refused')
            except OtherConfigError as err:
                refusals.append(str(err))
        return original(self, image, *args, **kwargs)

    monkeypatch.setattr(DynaSeg, 'segment', segment)
    summary = run(tmp_path / 'in', tmp_path / 'out')
    assert 'another model config' in refusals[0]
    assert 'model.seed = 0 there, 7 here' in refusals[0]
    assert statuses(summary) == dict.fromkeys(['a.png', 'b.png', 'c.png'], 'done')
    seeds = {load_record(p)['seed'] for p in (tmp_path / 'out' / 'records').glob('*.json')}
    assert seeds == {0}
    assert json.loads((tmp_path / 'out' / 'config.json').read_text())['scribble'] is False


def test_a_scribble_run_after_an_unguided_one_is_refused(tmp_path):
    write_image(tmp_path / 'in' / 'a.png', 24, 32)
    run(tmp_path / 'in', tmp_path / 'out')
    mask = np.full((24, 32), 255, np.uint8)
    mask[:4, :4], mask[-4:, -4:] = 0, 1
    Image.fromarray(mask).save(tmp_path / 'in' / 'a_scribble.png')
    with pytest.raises(OtherConfigError, match='unguided there, scribble-guided here'):
        run(tmp_path / 'in', tmp_path / 'out', scribble=True)
    redone = run(tmp_path / 'in', tmp_path / 'out', scribble=True, overwrite=True)
    assert statuses(redone) == {'a.png': 'done'}
    record = load_record(tmp_path / 'out' / 'records' / 'a.json')
    assert record['scribble'].endswith('a_scribble.png') and record['scribble_input']['bytes']
    assert statuses(run(tmp_path / 'in', tmp_path / 'out', scribble=True)) == {'a.png': 'skipped'}


# ----------------------------------------------------------------- 4. long names


def test_a_name_too_long_for_its_outputs_fails_alone_before_optimising(tmp_path, monkeypatch):
    long = 'x' * 250 + '.png'  # the input fits (254 bytes); <stem>_overlay.jpg would not
    fits = 'y' * 240 + '.png'  # every output fits: 240 + len('_overlay.jpg') = 252
    for name in (long, fits, 'z.png'):
        write_image(tmp_path / 'in' / name)
    calls = count_segmentations(monkeypatch)
    for _ in range(2):  # a rerun ends the same way: no traceback, the others done
        summary = run(tmp_path / 'in', tmp_path / 'out')
        assert statuses(summary)[long] == 'failed' and summary.exit_code == 1
        assert 'over the limit of 255' in summary.failed[0].reason
    assert statuses(summary)[fits] == statuses(summary)['z.png'] == 'skipped'
    assert len(calls) == 2  # the long name was never optimised
    assert (tmp_path / 'out' / 'vis' / f'{"y" * 240}_overlay.jpg').is_file()


def test_a_long_stems_claim_left_by_a_dead_worker_is_recovered(tmp_path):
    stem = 'x' * 232
    gone = subprocess.run([sys.executable, '-c', 'import os; print(os.getpid())'], check=True,
                          capture_output=True, text=True)  # fmt: skip
    book = Claims(tmp_path / 'claims', lambda s: False)
    book.folder.mkdir()
    boot_id = Path('/proc/sys/kernel/random/boot_id').read_text().strip()
    owner = dict(host=book.host, boot_id=boot_id, pid_namespace=book.namespace)
    book.path(stem).write_text(json.dumps(dict(owner, pid=int(gone.stdout), process_start='1')))
    assert book.acquire(stem) is None  # renamed to <claim>.<worker>.recovering on the way
    assert json.loads(book.path(stem).read_text())['pid'] == os.getpid()
    book.close()


# ----------------------------------------------------------------- 5. names that are not UTF-8


def test_a_name_that_is_not_utf8_is_segmented_and_recorded(tmp_path):
    name = os.fsdecode(b'caf\xe9.jpg')
    write_image(tmp_path / 'in' / name)
    summary = run(tmp_path / 'in', tmp_path / 'out')
    assert statuses(summary) == {name: 'done'}
    raw = (tmp_path / 'out' / 'records' / os.fsdecode(b'caf\xe9.json')).read_bytes()
    record = json.loads(raw.decode('utf-8'))  # the record stays UTF-8
    assert record['image'] == str(tmp_path / 'in' / name)  # and gives the name back
    assert (tmp_path / 'out' / os.fsdecode(b'caf\xe9.png')).is_file()


def strict_stdout_beside_a_bad_name(tmp_path: Path, monkeypatch, raw: bytes):
    """An empty image named ``raw`` (not UTF-8) beside a good one, and a strict UTF-8 stdout;
    returns a function giving what was printed so far."""
    (tmp_path / 'in').mkdir()
    (tmp_path / 'in' / os.fsdecode(raw)).write_bytes(b'')
    write_image(tmp_path / 'in' / 'good.png')
    strict = io.TextIOWrapper(io.BytesIO(), encoding='utf-8', errors='strict')
    monkeypatch.setattr(sys, 'stdout', strict)

    def printed() -> str:
        strict.flush()
        return strict.buffer.getvalue().decode('utf-8')

    return printed


def test_names_that_are_not_utf8_print_escaped_on_a_strict_stdout(tmp_path, monkeypatch):
    """The failure line of such a name used to raise, exit 2, and stop before the next image."""
    printed = strict_stdout_beside_a_bad_name(tmp_path, monkeypatch, b'bad\xe9.jpg')
    code = segment_main(tool_argv(tmp_path / 'in', tmp_path / 'out'))
    assert code == 1, printed()
    assert 'bad\\xe9.jpg: empty file (0 bytes)' in printed()
    assert (tmp_path / 'out' / 'good.png').is_file()


def test_the_library_log_escapes_names_on_a_strict_stdout(tmp_path, monkeypatch):
    printed = strict_stdout_beside_a_bad_name(tmp_path, monkeypatch, b'bad\xe9\n.jpg')
    summary = segment_folder(tmp_path / 'in', tmp_path / 'out', tiny_cfg(), progress=False)
    assert statuses(summary)['good.png'] == 'done'
    assert 'bad\\xe9\\n.jpg: empty file' in printed()
    assert 'bad\\xe9\\n.jpg' in summary.format()


# ----------------------------------------------------------------- 6. keys the tool reads


@pytest.mark.parametrize(
    'option', ['picture_pixels=100', 'data_root=/nonexistent', 'dataset.split=nosuchsplit']
)
def test_the_folder_tool_refuses_keys_only_the_dataset_runners_read(tmp_path, capsys, option):
    write_image(tmp_path / 'in' / 'a.png')
    argv = tool_argv(tmp_path / 'in', tmp_path / 'out', config=DEFAULT_CONFIG) + [option]
    code = segment_main(argv)
    err = capsys.readouterr().err
    assert code == 2 and err.count('\n') == 1
    assert f"config key '{option.split('=')[0]}' is read by the dataset runners" in err
    assert 'not by the folder tool' in err and not (tmp_path / 'out').exists()


def test_a_misspelt_key_is_never_steered_to_a_key_the_tool_does_not_read(tmp_path, capsys):
    write_image(tmp_path / 'in' / 'a.png')
    argv = tool_argv(tmp_path / 'in', tmp_path / 'out', config=DEFAULT_CONFIG)
    assert segment_main([*argv, 'picture_pixel=100']) == 2
    err = capsys.readouterr().err
    assert 'picture_pixels' not in err and 'reads model.*, batch_size' in err
    assert segment_main([*argv, 'batch_sise=2']) == 2
    assert "did you mean 'batch_size'" in capsys.readouterr().err


# ----------------------------------------------------------------- 7. honest endings


def test_an_image_left_to_another_hosts_live_claim_has_its_own_exit_code(tmp_path, capsys):
    """A job retried in a fresh container (a new host name) finds the old container's claim,
    younger than the stale limit: it leaves the image, and says so."""
    write_image(tmp_path / 'in' / 'a.png')
    write_image(tmp_path / 'in' / 'b.png')
    claim = Claims(tmp_path / 'out' / 'claims', lambda s: False).path('a')
    claim.parent.mkdir(parents=True)
    claim.write_text(json.dumps(dict(host='old-container', boot_id='b', pid=7, process_start='1')))
    os.utime(claim, (time.time() - 5,) * 2)
    code = segment_main(tool_argv(tmp_path / 'in', tmp_path / 'out'))
    out = capsys.readouterr().out
    assert code == EXIT_LEFT_TO_OTHERS == 4
    assert '1 left to live claims of other workers' in out and 'pid 7 on old-container' in out
    assert (tmp_path / 'out' / 'b.png').is_file() and not (tmp_path / 'out' / 'a.png').exists()
    assert f'{EXIT_LEFT_TO_OTHERS} images left to live claims' in build_segment_parser().epilog
