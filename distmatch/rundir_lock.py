"""Exclusive locks on run and sweep directories, and the locked session of one command in a run directory.

:func:`exclusive_lock` holds a ``flock`` on a lock file that records its holder, so a second process
fails at once naming the first, and a record found while no one holds the lock reveals a killed
owner (stale holder).  :func:`session` is :meth:`RunDir.session <distmatch.rundir.RunDir.session>`:
check, create, lock and (for ``overwrite``) clear the directory.  Both are re-exported by
:mod:`distmatch.rundir`, which owns the lock file's name and the :class:`~distmatch.rundir.RunDirError`
raised here.
"""

from __future__ import annotations

import fcntl
import os
import platform
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .config import RunConfig
    from .rundir import RunDir


@contextmanager
def session(rundir: RunDir, cfg: RunConfig, mode: str,
            on_stale: Callable[[str], None] | None = None) -> Iterator[bool]:
    """Check, create and lock ``rundir`` for one command; yields True when resuming.

    ``overwrite`` deletes the old run only once the lock is held. A directory this call
    created is removed again if the command leaves it empty.
    """
    rundir.check_start(cfg, mode)  # before creating or locking anything
    created = not rundir.path.exists()
    rundir.path.mkdir(parents=True, exist_ok=True)
    try:
        with exclusive_lock(rundir.lock_path, f"run directory {rundir.path}", on_stale):
            resuming = rundir.check_start(cfg, mode)  # again, now that no one else can change it
            if mode == "overwrite":
                rundir.clear()
            yield resuming
    finally:
        if created and rundir.path.is_dir() and not any(rundir.path.iterdir()):
            rundir.path.rmdir()


@contextmanager
def exclusive_lock(path: Path, what: str, on_stale: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` or fail at once naming the process that holds it.

    The kernel releases the lock when its process dies, so a lock can never outlive its owner.
    The file records who holds it: finding a record while no one holds the lock means the last
    owner was killed; ``on_stale`` (default: a note on stderr) is told its pid, then we take over.
    """
    fd = _acquire(path, what)
    try:
        previous = os.read(fd, 4096).decode("utf-8", "replace").strip()
        if previous:
            (on_stale or _warn)(f"note: {what} had a stale lock left by a process that no longer runs "
                                f"({previous}); taking it over")
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, _holder().encode())
        yield
    finally:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _acquire(path: Path, what: str) -> int:
    # imported here, not at the top: distmatch.rundir imports this module
    from .rundir import RunDirError

    for _ in range(20):  # retry when the previous owner unlinked the file between our open and flock
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 4096).decode("utf-8", "replace").strip() or "unknown process"
            os.close(fd)
            raise RunDirError(f"{what} is in use by another distmatch process ({holder}); "
                              "wait for it to finish or use another directory") from None
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    raise RunDirError(f"could not lock {what}: its lock file keeps changing")


def _holder() -> str:
    return f"pid {os.getpid()} on {platform.node()}, since {time.strftime('%Y-%m-%d %H:%M:%S')}"


def _warn(message: str) -> None:
    print(message, file=sys.stderr)
