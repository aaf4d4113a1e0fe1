"""Claims of workers sharing a folder: who holds an image, and when a claim is recovered."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dynaseg.apis.claims import DONE_ELSEWHERE, UNREADABLE_GRACE_SECONDS, Claims


def claims(folder: Path, done: set[str] | None = None, recovered: list | None = None, **kwargs):
    def on_claimed(stem: str, was_stale: bool) -> None:
        if was_stale and recovered is not None:
            recovered.append(stem)

    return Claims(
        folder / 'claims', is_done=lambda stem: stem in (done or set()), on_claimed=on_claimed,
        **kwargs,
    )  # fmt: skip


def claim_path(folder: Path, stem: str) -> Path:
    return claims(folder).path(stem)


def write_claim(folder: Path, stem: str, age: float = 0.0, **owner) -> Path:
    path = claim_path(folder, stem)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(owner) if owner else '')
    then = time.time() - age
    os.utime(path, (then, then))
    return path


def this_host(**owner):
    boot_id = Path('/proc/sys/kernel/random/boot_id').read_text().strip()
    return dict(
        host=socket.gethostname(),
        boot_id=boot_id,
        pid_namespace=os.readlink('/proc/self/ns/pid'),
        **owner,
    )


def dead_pid() -> int:
    gone = subprocess.run([sys.executable, '-c', 'import os; print(os.getpid())'], check=True,
                          capture_output=True, text=True)  # fmt: skip
    return int(gone.stdout)


def test_acquire_writes_the_owner_and_release_removes_it(tmp_path):
    book = claims(tmp_path)
    assert book.acquire('a') is None and book.acquire('a') is None  # ours: idempotent
    owner = json.loads(claim_path(tmp_path, 'a').read_text())
    assert owner['pid'] == os.getpid() and owner['host'] == socket.gethostname()
    assert owner['stem'] == 'a' and owner['boot_id'] == this_host()['boot_id']
    assert owner['process_start'] and owner['claimed_at'] <= time.time()
    book.release('a')
    assert not claim_path(tmp_path, 'a').exists()
    book.close()
    assert not (tmp_path / 'claims').exists()


def test_a_live_worker_keeps_its_claim_and_a_done_image_is_not_taken(tmp_path):
    first, second = claims(tmp_path), claims(tmp_path, done={'b'})
    assert first.acquire('a') is None
    assert second.acquire('a') == f'held by pid {os.getpid()} on {socket.gethostname()}'
    assert second.acquire('b') == DONE_ELSEWHERE
    assert not claim_path(tmp_path, 'b').exists()  # released at once
    first.close()
    assert second.acquire('a') is None
    second.close()


def test_claim_of_a_dead_process_on_this_host_is_recovered(tmp_path):
    write_claim(tmp_path, 'a', **this_host(pid=dead_pid(), process_start='1'))
    recovered: list[str] = []
    book = claims(tmp_path, recovered=recovered)
    assert book.acquire('a') is None and recovered == ['a']
    assert json.loads(claim_path(tmp_path, 'a').read_text())['pid'] == os.getpid()
    book.close()


def test_another_machine_with_this_hostname_is_judged_by_heartbeat_not_by_our_pids(tmp_path):
    """Same hostname and (root) pid namespace, another boot id: its pid means nothing here."""
    other = dict(this_host(pid=dead_pid(), process_start='1'), boot_id='another-machine')
    write_claim(tmp_path, 'young', age=5, **other)
    write_claim(tmp_path, 'stale', age=120, **other)
    book = claims(tmp_path, stale_seconds=60)
    assert book.acquire('young') == f'held by pid {other["pid"]} on {socket.gethostname()}'
    assert book.acquire('stale') is None
    book.close()


def test_release_removes_only_a_claim_it_owns(tmp_path):
    book = claims(tmp_path)
    assert book.acquire('a') is None
    theirs = json.dumps(dict(this_host(pid=1, process_start='1'), boot_id='elsewhere'))
    claim_path(tmp_path, 'a').write_text(theirs)  # taken over meanwhile by another worker
    book.release('a')
    assert claim_path(tmp_path, 'a').read_text() == theirs
    assert [p.name for p in (tmp_path / 'claims').iterdir()] == [claim_path(tmp_path, 'a').name]
    book.close()


def test_claim_files_have_short_names_whatever_the_stem(tmp_path):
    stem = os.fsdecode(b'\xe9' * 250)
    book = claims(tmp_path)
    assert book.acquire(stem) is None
    assert len(book.path(stem).name) == len('0123456789abcdef.claim')
    assert json.loads(book.path(stem).read_text())['stem'] == stem
    book.close()


def test_reused_pid_and_zombie_owners_are_gone(tmp_path):
    # Our own pid with another start time: the claim's owner was an earlier process.
    write_claim(tmp_path, 'a', **this_host(pid=os.getpid(), process_start='12345'))
    zombie = subprocess.Popen([sys.executable, '-c', 'pass'])
    deadline = time.monotonic() + 60
    while Path(f'/proc/{zombie.pid}/stat').read_text().rsplit(')', 1)[1].split()[0] != 'Z':
        assert time.monotonic() < deadline
        time.sleep(0.05)
    write_claim(tmp_path, 'z', **this_host(pid=zombie.pid, process_start='1'))
    book = claims(tmp_path)
    assert book.acquire('a') is None and book.acquire('z') is None
    zombie.wait()
    book.close()


def test_other_hosts_claims_are_judged_by_heartbeat_age(tmp_path):
    owner = dict(host='elsewhere', pid_namespace='pid:[1]', pid=1, process_start='1')
    write_claim(tmp_path, 'fresh', age=5, **owner)
    write_claim(tmp_path, 'stale', age=120, **owner)
    book = claims(tmp_path, stale_seconds=60)
    assert book.acquire('fresh') == 'held by pid 1 on elsewhere'
    assert book.acquire('stale') is None
    book.close()
    assert sorted(p.name for p in (tmp_path / 'claims').iterdir()) == [
        claim_path(tmp_path, 'fresh').name
    ]


def test_unreadable_claim_is_stale_after_the_grace_period(tmp_path):
    write_claim(tmp_path, 'young')
    write_claim(tmp_path, 'old', age=UNREADABLE_GRACE_SECONDS + 1)
    book = claims(tmp_path)
    assert book.acquire('young') == 'held by an unreadable claim'
    assert book.acquire('old') is None
    book.close()


def test_heartbeat_refreshes_held_claims(tmp_path):
    book = claims(tmp_path, heartbeat_seconds=0.05)
    book.acquire('a')
    path = claim_path(tmp_path, 'a')
    os.utime(path, (1, 1))
    deadline = time.monotonic() + 30
    while path.stat().st_mtime == 1:
        assert time.monotonic() < deadline, 'no heartbeat'
        time.sleep(0.05)
    book.close()


def test_claims_folder_removed_by_another_worker_is_recreated(tmp_path):
    book = claims(tmp_path)
    book.acquire('a')
    book.release('a')
    (tmp_path / 'claims').rmdir()  # what a finishing worker does when it is empty
    assert book.acquire('b') is None
    book.close()


@pytest.mark.parametrize('judged_first', [True, False])
def test_recovering_never_removes_a_claim_it_did_not_judge(tmp_path, judged_first):
    """Two workers recover the same stale claim: whichever renames second finds a live claim
    (the first recoverer's) in its place and puts it back."""
    stale = write_claim(tmp_path, 'a', age=120, host='elsewhere', pid=1)
    book = claims(tmp_path, stale_seconds=60)
    judged = stale.read_bytes()
    if not judged_first:
        stale.write_text(json.dumps(this_host(pid=os.getpid(), process_start='live')))
    assert book._take_over(stale, judged) is judged_first
    assert stale.exists() is not judged_first
    assert [p.name for p in (tmp_path / 'claims').iterdir()] == (
        [] if judged_first else [stale.name]
    )
