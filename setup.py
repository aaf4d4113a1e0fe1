"""Install dynaseg (``pip install -e .``); the pinned stack is in requirements.txt."""

from pathlib import Path

from setuptools import find_packages, setup


def read_version() -> str:
    scope: dict = {}
    exec(Path('dynaseg/version.py').read_text(), scope)
    return scope['__version__']


setup(
    name='dynaseg',
    version=read_version(),
    description='DynaSeg: unsupervised image segmentation with dynamic loss weighting '
    '(MMEngine + MMSegmentation 1.x)',
    long_description=Path('README.md').read_text(encoding='utf-8'),
    long_description_content_type='text/markdown',
    license='MIT',
    python_requires='>=3.10',
    packages=find_packages(include=['dynaseg', 'dynaseg.*']),
    package_data={'dynaseg': ['datasets/*.json']},
    # Dependencies are pinned in requirements.txt and installed by tools/install.sh, because
    # mmcv must be compiled with ops after torch is present; declaring them here would let pip
    # resolve an unpinned (CUDA) torch.
    install_requires=[],
    entry_points={
        'console_scripts': [
            'dynaseg-segment=dynaseg.cli:segment_main',
            'dynaseg-miou=dynaseg.cli:miou_main',
        ]
    },
    zip_safe=False,
)
