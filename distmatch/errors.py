"""One-line descriptions of the errors that reach the command line's error boundary."""

from __future__ import annotations

import errno
import zlib

# OS errors a user can fix, in words (the path comes from the exception).
OS_HINTS = {
    errno.ENOSPC: "no space left on the device; free some space, then rerun (runs continue with --resume)",
    errno.EROFS: "the file system is read-only; choose a writable --out",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.ENOENT: "no such file or directory",
    errno.EISDIR: "is a directory, expected a file",
    errno.ENOTDIR: "a part of the path is not a directory",
    errno.EDQUOT: "disk quota exceeded; free some space, then rerun (runs continue with --resume)",
}


def describe_error(exc: BaseException) -> str:
    """One line that names the file (when there is one) and what was wrong."""
    if isinstance(exc, OSError) and exc.errno is not None:
        what = OS_HINTS.get(exc.errno, exc.strerror or type(exc).__name__)
        where = exc.filename if exc.filename is not None else ""
        return f"{where}: {what}" if where else what
    if isinstance(exc, UnicodeDecodeError):
        return f"a file is not UTF-8 text ({exc.reason} at byte {exc.start})"
    if isinstance(exc, (zlib.error, EOFError)):
        return f"a compressed file is corrupt or truncated ({_one_line(exc)})"
    if isinstance(exc, MemoryError):
        return "out of memory; use smaller --batch-size, --eval-samples or data"
    if isinstance(exc, (ValueError, LookupError, TypeError, RuntimeError)):
        return _one_line(exc)
    return f"{type(exc).__name__}: {_one_line(exc)}"


def _one_line(exc: BaseException, limit: int = 400) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."
