"""``tools/DynaSeg_COCO.py``: DynaSeg on COCO-Stuff-27, segmented and scored in protocols (a),
(b) and (c); the flags of ``dynaseg-evaluate`` (:mod:`dynaseg.cli.evaluate`)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from . import evaluate

#: tools/DynaSeg_COCO.py's config, by name.
COCO_CONFIG = 'dynaseg-fsf_cnn-m3_fast_coco-stuff27'
DESCRIPTION = (
    'DynaSeg on COCO-Stuff-27: segment every curated image, then score protocols (a), (b) and (c).'
)


def build_parser() -> argparse.ArgumentParser:
    return evaluate.build_parser(DESCRIPTION, COCO_CONFIG)


def main(argv: Sequence[str] | None = None) -> int:
    """``tools/DynaSeg_COCO.py``: COCO-Stuff-27 with :data:`COCO_CONFIG` by default."""
    return evaluate.dataset_main(argv, description=DESCRIPTION, default_config=COCO_CONFIG)
