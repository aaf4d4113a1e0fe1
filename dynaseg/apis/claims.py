"""Workers that share one output folder: a claim file per image, so each image is done once.

Start the folder tool several times on the same input and output folders (on one machine, or on
several that share the file system) and the processes split the images between them, with no
launcher. Before it segments an image, a worker creates ``<out>/claims/<hash>.claim`` with
``O_CREAT | O_EXCL`` (exactly one process succeeds; ``<hash>`` is
:func:`~dynaseg.utils.fileio.short_name` of the stem, so any stem the file system accepts can
be claimed). The file names its owner as JSON: ``stem``, ``host``, ``boot_id`` (the kernel's
``/proc/sys/kernel/random/boot_id``), ``pid_namespace``, ``pid``, ``process_start`` (the
kernel's start time of that pid) and ``claimed_at``. The owner removes it once the image's
label map is written or the image failed, and only if the claim there is still its own; it
removes the then empty ``claims/`` folder when it finishes.

A claim whose owner is gone (a worker killed with SIGKILL, a machine that went down) is
recovered by the next worker that reaches the image:

- **Same machine** (the same hostname, boot id and pid namespace): the owner is gone when no
  process has its pid, or the process that has it started at another time (the pid was
  reused), or is a zombie. Two machines (or containers) that share a hostname differ in their
  boot id, so neither judges the other's claims by its own pids.
- **Another machine**: its owner refreshes the claim's modification time every
  :data:`HEARTBEAT_SECONDS` while it holds it; a claim not refreshed for
  :data:`STALE_SECONDS` is stale. The hosts' clocks must agree to well within that.
- A claim that cannot be read (its owner was killed between creating and writing it) is stale
  once it is :data:`UNREADABLE_GRACE_SECONDS` old.

Recovery renames the stale claim to a name of the recoverer's own (one rename wins among
workers that recover at once), checks that it moved the claim it judged stale (or puts the
live one back), removes the image's half-written files, and claims the image afresh. A rerun
of the tool is such a worker, so it also recovers what a killed run held.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

from dynaseg.utils.fileio import repeating_write_error, short_name

__all__ = ['HEARTBEAT_SECONDS', 'STALE_SECONDS', 'UNREADABLE_GRACE_SECONDS', 'Claims']

#: How often a worker refreshes the modification time of the claims it holds.
HEARTBEAT_SECONDS = 30.0
#: A claim of another host not refreshed for this long belongs to a worker that is gone.
STALE_SECONDS = 600.0
#: A claim whose content cannot be read is this old at most while its owner writes it.
UNREADABLE_GRACE_SECONDS = 60.0

#: The reason an image is not taken because its label map appeared meanwhile.
DONE_ELSEWHERE = 'done by another worker'


def _boot_id() -> str:
    # Tells apart machines with the same hostname: each boot of a kernel draws a new one.
    try:
        return Path('/proc/sys/kernel/random/boot_id').read_text().strip()
    except OSError:
        return ''


def _pid_namespace() -> str:
    # Containers with the same hostname can still have separate pid numbering.
    try:
        return os.readlink('/proc/self/ns/pid')
    except OSError:
        return ''


def _process_start(pid: int) -> str | None:
    """The kernel's start time of ``pid`` ('Z' for a zombie); None where /proc cannot tell."""
    try:
        stat = Path(f'/proc/{pid}/stat').read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after its last ')'.
    fields = stat.rsplit(')', 1)[1].split()
    return 'Z' if fields[0] in ('Z', 'X') else fields[19]


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, owned by another user
        return True
    return True


class Claims:
    """The claims one worker takes in ``<out>/claims``; see the module docstring for the rules.

    Args:
        folder: the claims folder (created on the first claim).
        is_done: whether a stem's outputs are written; checked once a claim is held, so an
            image another worker finished meanwhile is not redone.
        on_claimed: called with each stem this worker claims to segment (not done), and
            whether it took over a stale claim, to remove what a gone owner (or an earlier
            run) left.
        stale_seconds, heartbeat_seconds: see :data:`STALE_SECONDS`, :data:`HEARTBEAT_SECONDS`.
    """

    def __init__(
        self,
        folder: str | os.PathLike[str],
        is_done: Callable[[str], bool],
        on_claimed: Callable[[str, bool], None] | None = None,
        *,
        stale_seconds: float = STALE_SECONDS,
        heartbeat_seconds: float = HEARTBEAT_SECONDS,
    ) -> None:
        self.folder = Path(folder)
        self.is_done = is_done
        self.on_claimed = on_claimed
        self.stale_seconds = stale_seconds
        self.heartbeat_seconds = heartbeat_seconds
        self.host = socket.gethostname()
        self.boot_id = _boot_id()
        self.namespace = _pid_namespace()
        self.pid = os.getpid()
        self._start = _process_start(self.pid)
        #: stem -> (claim file, the bytes this worker wrote there)
        self._held: dict[str, tuple[Path, bytes]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._heartbeat: threading.Thread | None = None

    def path(self, stem: str) -> Path:
        """The claim file of ``stem``: named by a hash, whatever the stem's length."""
        return self.folder / f'{short_name(stem)}.claim'

    # ------------------------------------------------------------------ taking and releasing

    def acquire(self, stem: str) -> str | None:
        """Claim ``stem`` for this worker.

        Returns:
            None when the image is now this worker's to segment; otherwise why not: another
            worker holds it (naming it), or it is done.

        Raises:
            OutputStorageError: the claim cannot be written (a full disk, a read-only output...).
        """
        if stem in self._held:
            return None
        path = self.path(stem)
        recovered = False
        while True:
            try:
                mine = self._create(path, stem)
                break
            except FileExistsError:
                pass
            except FileNotFoundError:  # the folder is new, or a finishing worker removed it
                self._make_folder()
                continue
            content, age = self._read(path)
            if content is None and age is None:
                continue  # released between our attempt and our look: try again
            owner = self._live_owner(content, age or 0.0)
            if owner is not None:
                return DONE_ELSEWHERE if self.is_done(stem) else f'held by {owner}'
            recovered |= self._take_over(path, content)
        with self._lock:
            self._held[stem] = (path, mine)
        self._start_heartbeat()
        if self.is_done(stem):
            self.release(stem)
            return DONE_ELSEWHERE
        if self.on_claimed is not None:
            self.on_claimed(stem, recovered)
        return None

    def release(self, stem: str) -> None:
        """Remove this worker's claim on ``stem``: nothing if it holds none, and nothing if the
        claim file there is no longer the one it wrote (another worker's, taken over)."""
        with self._lock:
            held = self._held.pop(stem, None)
        if held is not None:
            self._take_over(*held)

    def close(self) -> None:
        """Release every claim, stop the heartbeat, remove the claims folder if it is empty."""
        for stem in list(self._held):
            self.release(stem)
        self._stop.set()
        if self._heartbeat is not None:
            self._heartbeat.join()
        with suppress(OSError):  # not empty: other workers still hold claims
            self.folder.rmdir()

    def __enter__(self) -> Claims:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ------------------------------------------------------------------ the claim file

    def _make_folder(self) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            stop = repeating_write_error(err)
            if stop is None:
                raise
            raise stop from err

    def _create(self, path: Path, stem: str) -> bytes:
        """Create the claim file exclusively; returns the bytes written (its owner)."""
        owner = {
            'stem': stem,
            'host': self.host,
            'boot_id': self.boot_id,
            'pid_namespace': self.namespace,
            'pid': self.pid,
            'process_start': self._start,
            'claimed_at': time.time(),
        }
        content = json.dumps(owner).encode()  # ASCII: a stem that is not UTF-8 is escaped
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            try:
                with os.fdopen(fd, 'wb') as handle:
                    handle.write(content)
            except BaseException:
                path.unlink(missing_ok=True)
                raise
            return content
        except OSError as err:  # FileExistsError and FileNotFoundError pass through as they are
            stop = repeating_write_error(err)
            if stop is None:
                raise
            raise stop from err

    def _read(self, path: Path) -> tuple[bytes | None, float | None]:
        """The claim's bytes (None: empty) and age in seconds; (None, None): it is gone."""
        try:
            age = time.time() - path.stat().st_mtime
            content = path.read_bytes()
        except FileNotFoundError:
            return None, None
        return content or None, age

    def _live_owner(self, content: bytes | None, age: float) -> str | None:
        """A description of the claim's owner if it is alive, else None (the claim is stale)."""
        try:
            owner = json.loads(content or b'')
            host, pid = str(owner['host']), int(owner['pid'])
        except (ValueError, KeyError, TypeError):
            return 'an unreadable claim' if age < UNREADABLE_GRACE_SECONDS else None
        who = f'pid {pid} on {host}'
        same_machine = (
            host == self.host
            and owner.get('boot_id') == self.boot_id
            and owner.get('pid_namespace', '') == self.namespace
        )
        if not same_machine:  # its pids are not ours to look up: judge by the heartbeat
            return who if age < self.stale_seconds else None
        if not _pid_exists(pid):
            return None
        start = _process_start(pid)
        if start is None:  # no /proc: the pid's existence is all we know
            return who
        return who if start == owner.get('process_start') else None

    def _take_over(self, path: Path, judged: bytes | None) -> bool:
        """Remove the claim at ``path`` if it is still the one judged (a stale one, or this
        worker's own); True if removed. Any other claim found there is put back."""
        worker = short_name(f'{self.host}\0{self.boot_id}\0{self.pid}')
        private = path.with_name(f'{path.name}.{worker}.recovering')
        try:
            os.rename(path, private)
        except FileNotFoundError:  # another worker recovered it first
            return False
        try:
            if (private.read_bytes() or None) != judged:
                # A live claim replaced the stale one since we read it: put it back.
                with suppress(FileExistsError):
                    os.link(private, path)
                return False
            return True
        finally:
            private.unlink(missing_ok=True)

    # ------------------------------------------------------------------ heartbeat

    def _start_heartbeat(self) -> None:
        if self._heartbeat is None:
            self._heartbeat = threading.Thread(
                target=self._beat, name='dynaseg-claims-heartbeat', daemon=True
            )
            self._heartbeat.start()

    def _beat(self) -> None:
        while not self._stop.wait(self.heartbeat_seconds):
            with self._lock:
                paths = [path for path, _ in self._held.values()]
            for path in paths:
                with suppress(OSError):  # released meanwhile, or storage trouble: next time
                    os.utime(path)
