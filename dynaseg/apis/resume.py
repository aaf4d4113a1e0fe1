"""What a folder run finds in its output folder: the folder's config, which stems belong to which
input, and which images are done.

- **One config per folder.** The first worker records the model config and guidance in
  ``<out>/config.json``, atomically and exclusively (:func:`claim_folder_config`); every later or
  concurrent worker compares against it and is refused in one line (:class:`OtherConfigError`).
  A folder made before ``config.json`` existed is checked against its records
  (:func:`check_same_config`).
- **Stems in use are kept.** An input whose outputs exist (its record names it) keeps their stem
  (:func:`kept_stems`, then :func:`~dynaseg.utils.image_io.output_stems`), so adding an input
  never renames another input's outputs.
- **Done means made from this input by this config.** A label map counts only if its record
  names the same input file, with the same size and SHA-256, the same model config and guidance
  (and scribble mask): :func:`why_not_done` says why not, for the log.
- **Names the file system refuses** are found before any optimisation (:func:`name_refusal`).
"""

from __future__ import annotations

from pathlib import Path

from mmengine.config import Config

from dynaseg.utils.fileio import (
    UnwritableDirectoryError,
    create_json,
    file_fingerprint,
    name_too_long,
    save_json,
)
from dynaseg.utils.image_io import candidate_stems
from dynaseg.utils.printing import printable

from .inference import config_name
from .layout import OutputLayout
from .records import load_record, plain_json
from .runtime import one_line

__all__ = [
    'OtherConfigError',
    'check_same_config',
    'claim_folder_config',
    'kept_stems',
    'name_refusal',
    'RecordCache',
    'read_record',
    'run_identity',
    'why_not_done',
]


class OtherConfigError(ValueError):
    """The output folder holds label maps made with another model config."""


def run_identity(cfg: Config, guided: bool) -> dict:
    """What the label maps of a folder must share: the model config and whether scribbles
    guide it, as records and ``config.json`` hold them."""
    return {'model_config': plain_json(cfg.model.to_dict()), 'scribble': guided}


def _record_identity(record: dict) -> dict:
    return {
        'model_config': plain_json(record.get('model_config')),
        'scribble': 'scribble' in record,
    }


def _flat(node: object, prefix: str = 'model') -> dict[str, object]:
    """A config's values by dotted key (``model.backbone.channels``)."""
    if not isinstance(node, dict):
        return {prefix: node}
    return {key: value for k, v in node.items() for key, value in _flat(v, f'{prefix}.{k}').items()}


_UNSET = '<unset>'


def _shown(value: object) -> str:
    text = value if value == _UNSET else repr(value)
    return str(text) if len(str(text)) <= 40 else str(text)[:37] + '...'


def _guidance(guided: object) -> str:
    return 'scribble-guided' if guided else 'unguided'


def _difference(theirs: dict, ours: dict) -> str:
    """The first difference between a folder's identity and this run's, for a one-line
    message: ``model.seed = 0 there, 7 here``."""
    if theirs.get('scribble') != ours['scribble']:
        return f'{_guidance(theirs.get("scribble"))} there, {_guidance(ours["scribble"])} here'
    there, here = _flat(theirs.get('model_config')), _flat(ours['model_config'])
    keys = sorted({*there, *here})
    key = next((k for k in keys if there.get(k, _UNSET) != here.get(k, _UNSET)), 'model')
    return f'{key} = {_shown(there.get(key, _UNSET))} there, {_shown(here.get(key, _UNSET))} here'


def check_same_config(
    layout: OutputLayout, stems: list[str], cfg: Config, guided: bool = False
) -> None:
    """Refuse a folder without ``config.json`` (made before it existed) whose label maps were
    made with another model config or guidance: a rerun would otherwise redo them one by one
    and leave a folder of two configs' labels.

    A label map without a readable record (written by hand, or by a version before records
    held the config) is left to the per-image check (:func:`why_not_done`).

    Raises:
        OtherConfigError: naming how many, one of them, its config, and the two ways out.
    """
    wanted = run_identity(cfg, guided)
    others = []
    for stem in stems:
        try:
            record = load_record(layout.record(stem))
        except (OSError, ValueError):
            continue
        if 'model_config' in record and _record_identity(record) != wanted:
            others.append((stem, record.get('config', '?')))
    if others:
        stem, name = others[0]
        raise OtherConfigError(
            f'{len(others)} of the {len(stems)} label maps in {printable(str(layout.root))!r} '
            f'were made with another model config (e.g. {printable(stem)}.png, by {name}); '
            'rerun with --overwrite to redo them with this one, or choose another --work-dir'
        )


def claim_folder_config(
    layout: OutputLayout, cfg: Config, guided: bool, *, overwrite: bool = False
) -> bool:
    """Record this run's model config and guidance in ``<out>/config.json``, or check them
    against the record there: one config per output folder, from the first worker on.

    The file is created atomically and exclusively, so of workers started together exactly one
    writes it and every other compares against it. ``overwrite`` replaces it (the run redoes
    every image).

    Returns:
        Whether this call wrote the file.

    Raises:
        OtherConfigError: the folder's config differs, in one line naming both.
        UnwritableDirectoryError: the file cannot be written.
    """
    identity = run_identity(cfg, guided)
    content = {'config': config_name(cfg), **identity}
    try:
        if overwrite:
            save_json(layout.config, content)
            return True
        if create_json(layout.config, content):
            return True
    except OSError as err:  # before any work: a full disk or a read-only output, in one line
        raise UnwritableDirectoryError(
            f'cannot write {printable(str(layout.config))}: {err.strerror or err}'
        ) from err
    try:
        recorded = load_record(layout.config)
        theirs = {key: recorded[key] for key in identity}
    except (OSError, ValueError, KeyError) as err:
        raise OtherConfigError(
            f'cannot read {printable(str(layout.config))} ({one_line(err)}); rerun with '
            '--overwrite to redo the folder with this config, or choose another --work-dir'
        ) from err
    if plain_json(theirs) != identity:
        raise OtherConfigError(
            f'{printable(str(layout.root))!r} holds label maps of another model config '
            f'({recorded.get("config", "?")}: {_difference(theirs, identity)}); rerun with '
            '--overwrite to redo them with this one, or choose another --work-dir'
        )
    return False


#: Records read during a run, by stem: the record file's identity when read, and its content.
RecordCache = dict[str, tuple[tuple[int, int, int], dict | None]]


def read_record(layout: OutputLayout, stem: str, cache: RecordCache | None = None) -> dict | None:
    """``stem``'s record as it is now (None: none, or unreadable). With ``cache``, a record
    file unchanged since it was last read (same inode, size, time) is not parsed again."""
    path = layout.record(stem)
    try:
        stat = path.stat()
    except OSError:
        return None
    key = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
    if cache is not None and stem in cache and cache[stem][0] == key:
        return cache[stem][1]
    try:
        record: dict | None = load_record(path)
    except (OSError, ValueError):
        record = None
    if cache is not None:
        cache[stem] = (key, record)
    return record


def kept_stems(
    layout: OutputLayout, images: list[Path], cache: RecordCache | None = None
) -> dict[Path, str]:
    """The stems whose outputs already belong to each image (their record names it)."""
    kept = {}
    for path in images:
        for stem in candidate_stems(path):
            record = read_record(layout, stem, cache)
            if record is not None and Path(str(record.get('image', ''))).name == path.name:
                kept[path] = stem
                break
    return kept


def why_not_done(
    layout: OutputLayout,
    path: Path,
    stem: str,
    identity: dict,
    mask: Path | None = None,
    cache: RecordCache | None = None,
) -> str | None:
    """Why ``stem``'s outputs do not count as the segmentation of ``path`` by this run, or
    None when they do: its label map exists and its record names the same input file, with
    the same size and content, the same model config and guidance (and scribble mask).

    The record is read after the label map is seen: it is written before the label map, so
    a label map finished by another worker meanwhile is judged with its own record.

    Args:
        mask: the scribble mask of a guided run.
        cache: records read before (:func:`read_record`).

    Returns:
        None (done), ``''`` (no label map: simply to do) or the reason to redo it.
    """
    if not layout.label_map(stem).exists():
        return ''
    record = read_record(layout, stem, cache)
    if record is None:
        return 'its label map has no readable record'
    made_from = Path(str(record.get('image', ''))).name
    if made_from != path.name:
        return f'its outputs were made from {printable(made_from)}'
    try:
        if _changed(path, record.get('input')):
            return 'the input changed since its label map was made'
        if _record_identity(record) != identity:
            return f'made with another config ({_difference(_record_identity(record), identity)})'
        if mask is not None and not mask.is_file():
            return 'its scribble mask is missing'
        if mask is not None and _changed(mask, record.get('scribble_input')):
            return 'its scribble mask changed since its label map was made'
    except _OldRecord:
        return 'its record predates input fingerprints'
    except OSError as err:
        return f'the input cannot be read ({err.strerror or err})'
    return None


class _OldRecord(Exception):
    """A record written before records held the input's fingerprint."""


def _changed(path: Path, known: object) -> bool:
    if not isinstance(known, dict) or 'sha256' not in known:
        raise _OldRecord
    now = file_fingerprint(path, known)
    return (now['bytes'], now['sha256']) != (known.get('bytes'), known['sha256'])


def name_refusal(layout: OutputLayout, stem: str, *, visualize: bool, save_csv: bool) -> str | None:
    """Why an output of ``stem`` cannot be created (a name over the file system's limit)."""
    targets = [layout.label_map(stem), layout.record(stem)]
    targets += [layout.csv(stem)] if save_csv else []
    targets += [layout.color(stem), layout.overlay(stem)] if visualize else []
    for target in targets:
        reason = name_too_long(layout.root, target.name)
        if reason is not None:
            return f'{reason}; rename the input to a shorter name'
    return None
