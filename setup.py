"""Install dynaseg (``pip install -e .``); the pinned stack is in requirements.txt.

A non-editable install (``pip install .``, a wheel) also carries the configs, copied to
``dynaseg/.mim/configs`` (OpenMMLab's place for them), so ``--config <name>`` and
``dynaseg.apis.DEFAULT_CONFIG`` work without the checkout; an editable install reads
``configs/`` in place.
"""

import shutil
from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


def read_version() -> str:
    scope: dict = {}
    exec((HERE / 'dynaseg' / 'version.py').read_text(), scope)
    return scope['__version__']


class BuildWithConfigs(build_py):
    """build_py that also copies configs/ into the built package (dynaseg/.mim/configs)."""

    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / 'dynaseg' / '.mim' / 'configs'
        if (HERE / 'configs').is_dir() and not self.dry_run:
            shutil.copytree(HERE / 'configs', target, dirs_exist_ok=True)


setup(
    name='dynaseg',
    version=read_version(),
    description='DynaSeg: unsupervised image segmentation with dynamic loss weighting '
    '(MMEngine + MMSegmentation 1.x)',
    long_description=(HERE / 'README.md').read_text(encoding='utf-8'),
    long_description_content_type='text/markdown',
    license='MIT',
    python_requires='>=3.10',
    packages=find_packages(include=['dynaseg', 'dynaseg.*']),
    package_data={'dynaseg': ['datasets/*.json']},
    cmdclass={'build_py': BuildWithConfigs},
    # Dependencies are pinned in requirements.txt and installed by tools/install.sh, because
    # mmcv must be compiled with ops after torch is present; declaring them here would let pip
    # resolve an unpinned (CUDA) torch.
    install_requires=[],
    entry_points={
        'console_scripts': [
            'dynaseg-segment=dynaseg.cli.segment:main',
            'dynaseg-evaluate=dynaseg.cli.evaluate:main',
            'dynaseg-miou=dynaseg.cli.miou:main',
        ]
    },
    zip_safe=False,
)
