# The released versions are the sections of CHANGELOG.md; while its [Unreleased] section has
# entries, this is a development version of the next one (tests/test_utils/test_version.py).
__version__ = '0.4.0.dev0'
