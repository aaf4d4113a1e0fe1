"""Run a tool script with a pause before its Nth image, so that a test can signal it mid-run.

    python tests/paused_tool.py MARKER N TOOL_SCRIPT [tool args ...]

or from a test: ``proc = start_paused(marker, n, tool, *args)``, ``wait_until_paused(proc,
marker)``, send the signal, then ``finish(proc)``.

The script runs as ``__main__`` with the given arguments, but the Nth call of
``DynaSeg.segment`` first writes ``MARKER`` and then sleeps until a signal ends the sleep. A
test waits for the marker and signals: the run is then always between its (N-1)th and Nth
image, however fast or loaded the machine, so the test can never find the run already
finished. When the tool returns, whether it left the SIGINT and SIGTERM handlers as it found
them is printed to stderr (``signal handlers restored: True``).
"""

from __future__ import annotations

import runpy
import signal
import subprocess
import sys
import time
from pathlib import Path

from dynaseg.models.segmentors.dynaseg import DynaSeg

#: Longer than any test's timeout: only a signal ends the pause.
PAUSE_SECONDS = 3600


SIGNALS = (signal.SIGINT, signal.SIGTERM)


def start_paused(marker: Path, pause_at: int, tool: Path, *args: str) -> subprocess.Popen:
    """Start ``tool`` with ``args`` in a child paused before image ``pause_at``.

    Output goes to files beside the marker (a pipe could fill up and block the child);
    :func:`finish` reads them. The child gets the default SIGINT disposition, as from a
    terminal: an ignored SIGINT would be inherited across exec from the test process.
    """
    with (
        marker.with_suffix('.stdout').open('w') as stdout,
        marker.with_suffix('.stderr').open('w') as stderr,
    ):
        return subprocess.Popen(
            [sys.executable, __file__, str(marker), str(pause_at), str(tool), *args],
            stdout=stdout,
            stderr=stderr,
            text=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )


def wait_until_paused(proc: subprocess.Popen, marker: Path, timeout: float = 300) -> None:
    """Return once the child is paused; fail if it ends first or takes over ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not marker.exists():
        if proc.poll() is not None:
            raise AssertionError(
                f'the tool ended (exit {proc.returncode}) before its pause:\n'
                + marker.with_suffix('.stderr').read_text()[-3000:]
            )
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f'the tool did not reach its pause within {timeout} s')
        time.sleep(0.05)


def finish(proc: subprocess.Popen, marker: Path, timeout: float = 120) -> tuple[int, str, str]:
    """Wait for the child; its exit status, stdout and stderr."""
    code = proc.wait(timeout=timeout)
    return (
        code,
        marker.with_suffix('.stdout').read_text(),
        marker.with_suffix('.stderr').read_text(),
    )


def main() -> None:
    marker, pause_at, tool, *args = sys.argv[1:]
    original = DynaSeg.segment
    calls = 0

    def segment(self, *positional, **keywords):
        nonlocal calls
        calls += 1
        if calls == int(pause_at):
            Path(marker).write_text(f'paused before image {calls}\n')
            time.sleep(PAUSE_SECONDS)
        return original(self, *positional, **keywords)

    DynaSeg.segment = segment  # type: ignore[method-assign]
    sys.argv = [tool, *args]
    before = [signal.getsignal(signum) for signum in SIGNALS]
    try:
        runpy.run_path(tool, run_name='__main__')
    finally:
        after = [signal.getsignal(signum) for signum in SIGNALS]
        print(f'signal handlers restored: {after == before}', file=sys.stderr)


if __name__ == '__main__':
    main()
