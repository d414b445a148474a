"""One process per batch folder: ``DIR/.convsim.lock`` names the holder (pid, host, start).

Without it, ``--resume`` while the batch still ran set 60 live transcripts aside and ran every
conversation twice against the bot. On POSIX the lock is an ``flock`` on that file, which the
kernel drops when the holder dies however it dies, so a stale lock (dead pid) is simply taken
over; elsewhere the file is created exclusively and a holder whose pid is gone is replaced.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from convsim_core.batch.manifest import BatchFolderError

LOCK_NAME = ".convsim.lock"

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


class BatchLockedError(BatchFolderError):
    """Another live process holds the batch folder."""


class BatchLock:
    """Held from :meth:`acquire` until :meth:`release` (or the process ends)."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.path = self.folder / LOCK_NAME
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        """Take the lock or raise :class:`BatchLockedError` naming the holder."""
        if self._fd is not None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = self._acquire_flock() if fcntl is not None else self._acquire_exclusive()
        holder = json.dumps(_me()).encode()
        os.ftruncate(fd, 0)
        os.pwrite(fd, holder, 0)
        self._fd = fd

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        with contextlib.suppress(OSError):
            self.path.unlink()  # while still locked, so no one locks a file about to vanish
        os.close(fd)

    def __enter__(self) -> BatchLock:
        self.acquire()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release()

    # -- ways to lock -----------------------------------------------------------------------------

    def _acquire_flock(self) -> int:
        assert fcntl is not None
        for _ in range(10):
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                holder = _read_holder(fd)
                os.close(fd)
                raise self._locked(holder) from None
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                return fd
            os.close(fd)  # the holder released (and removed) it meanwhile: lock the new file
        raise BatchLockedError(f"{self.folder}: cannot take the batch lock {self.path}")

    def _acquire_exclusive(self) -> int:  # pragma: no cover - exercised on Windows only
        for _ in range(2):
            try:
                return os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                holder = _read_path(self.path)
                if _alive(holder):
                    raise self._locked(holder) from None
                with contextlib.suppress(OSError):
                    self.path.unlink()  # stale: its process is gone
        raise BatchLockedError(f"{self.folder}: cannot take the batch lock {self.path}")

    def _locked(self, holder: dict[str, Any]) -> BatchLockedError:
        who = describe_holder(holder)
        return BatchLockedError(
            f"{self.folder} is in use by another convsim ({who}); wait for it to finish or stop"
            " it, then run again"
        )


def describe_holder(holder: dict[str, Any]) -> str:
    if not holder:
        return "holder unknown"
    return (
        f"pid {holder.get('pid', '?')} on {holder.get('host', '?')},"
        f" started {holder.get('started_at', '?')}"
    )


def _me() -> dict[str, Any]:
    return {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
    }


def _read_holder(fd: int) -> dict[str, Any]:
    try:
        data = json.loads(os.pread(fd, 4096, 0) or b"{}")
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _read_path(path: Path) -> dict[str, Any]:  # pragma: no cover - Windows path
    try:
        data = json.loads(path.read_bytes() or b"{}")
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _alive(holder: dict[str, Any]) -> bool:  # pragma: no cover - Windows path
    pid = holder.get("pid")
    if not isinstance(pid, int) or holder.get("host") != socket.gethostname():
        return bool(holder)  # another host's process: cannot tell, assume alive
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
