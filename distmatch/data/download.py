"""Download the four MNIST / Fashion-MNIST IDX files: mirrors in order, size and SHA-256 checked.

Each file is streamed into ``<file>.part`` in the target folder and renamed onto its final name
(``os.replace``, after an fsync) only once its size and SHA-256 match the published values, so a
final file is always complete and verified. An interrupted transfer (time-out, dropped
connection, Ctrl-C) keeps the ``.part`` file, a prefix of what the server sent, and the next run
resumes it with an HTTP ``Range`` request (a server that ignores ``Range`` answers 200 and the
file is restarted from byte 0). A complete-size download whose SHA-256 is wrong, or a server
sending more bytes than the file has, deletes the ``.part`` file: nothing half-written is left.
Only the standard library's urllib is used.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from .errors import DataError
from .paths import default_dataset_dir

CHUNK_BYTES = 1 << 16
DEFAULT_TIMEOUT = 30.0
USER_AGENT = "distmatch-data-fetch (python urllib)"


@dataclass(frozen=True)
class RemoteFile:
    """One file on the mirrors: its name, size in bytes and published SHA-256 (hex)."""

    name: str
    size: int
    sha256: str


# Sizes and SHA-256 sums as published by TensorFlow Datasets in github.com/tensorflow/datasets,
# tensorflow_datasets/url_checksums/mnist.txt and .../fashion_mnist.txt. The same eight SHA-256
# sums are in torchvision's prototype datasets (github.com/pytorch/vision,
# torchvision/prototype/datasets/_builtin/mnist.py, ``_CHECKSUMS``), keyed by these file names.
FILES: dict[str, tuple[RemoteFile, ...]] = {
    "mnist": (
        RemoteFile("train-images-idx3-ubyte.gz", 9912422,
                   "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"),
        RemoteFile("train-labels-idx1-ubyte.gz", 28881,
                   "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"),
        RemoteFile("t10k-images-idx3-ubyte.gz", 1648877,
                   "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"),
        RemoteFile("t10k-labels-idx1-ubyte.gz", 4542,
                   "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"),
    ),
    "fashion-mnist": (
        RemoteFile("train-images-idx3-ubyte.gz", 26421880,
                   "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84"),
        RemoteFile("train-labels-idx1-ubyte.gz", 29515,
                   "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845"),
        RemoteFile("t10k-images-idx3-ubyte.gz", 4422102,
                   "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073"),
        RemoteFile("t10k-labels-idx1-ubyte.gz", 5148,
                   "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5"),
    ),
}

# Tried in order; the first mirror that delivers a verified file wins.
MIRRORS: dict[str, tuple[str, ...]] = {
    "mnist": ("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"),
    "fashion-mnist": ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
}


class _BadContent(Exception):
    """The mirror served bytes that cannot be the published file (the .part file is deleted)."""


class _Incomplete(Exception):
    """The transfer ended early without an error (the .part file is kept for resuming)."""


# ----------------------------------------------------------------------------- helpers
def part_path(final: Path) -> Path:
    """The in-progress download next to ``final``: ``<final>.part``."""
    return final.with_name(final.name + ".part")


def sha256_file(path: Path, limit: int | None = None) -> "hashlib._Hash":
    """SHA-256 hash object over the first ``limit`` bytes of ``path`` (all of it when None)."""
    digest = hashlib.sha256()
    remaining = path.stat().st_size if limit is None else limit
    with open(path, "rb") as fh:
        while remaining > 0:
            block = fh.read(min(CHUNK_BYTES * 16, remaining))
            if not block:
                break
            digest.update(block)
            remaining -= len(block)
    return digest


def check_mirror(url: str) -> str:
    """Return ``url`` with a trailing slash if it is an http(s) URL, else raise DataError."""
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError on a malformed port)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise DataError(f"mirror must be an http:// or https:// URL, got {url!r}")
    return url if url.endswith("/") else url + "/"


def describe_error(exc: BaseException, timeout: float) -> str:
    """A short one-line description of a network failure."""
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, TimeoutError):
        return f"timed out after {timeout:g} s"
    if isinstance(exc, http.client.IncompleteRead):
        return f"connection closed early ({len(exc.partial)} bytes of the last chunk)"
    text = str(reason) or type(reason).__name__
    return " ".join(text.split())


def _content_range_start(response) -> int | None:
    """First byte of a 206 response's ``Content-Range: bytes START-END/TOTAL``, or None."""
    match = re.match(r"\s*bytes\s+(\d+)-", response.headers.get("Content-Range", ""))
    return int(match.group(1)) if match else None


# ----------------------------------------------------------------------------- transfer
def open_from(url: str, offset: int, timeout: float):
    """Open ``url`` asking for bytes from ``offset`` on; returns (response, offset actually served).

    A 200 answer to a Range request means the server ignored it: the caller restarts at 0. A 416
    (range not satisfiable) or a 206 starting elsewhere is retried once without Range.
    """
    headers = {"User-Agent": USER_AGENT}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    try:
        response = urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and offset:
            exc.close()
            return open_from(url, 0, timeout)
        raise
    if not offset or response.status == 200:
        return response, 0
    if response.status == 206 and _content_range_start(response) == offset:
        return response, offset
    response.close()
    return open_from(url, 0, timeout)


def _check_length(response, offset: int, remote: RemoteFile) -> None:
    """Refuse a response whose Content-Length cannot add up to the published size."""
    length = response.headers.get("Content-Length")
    if length is not None and length.isdigit() and offset + int(length) != remote.size:
        raise _BadContent(f"server offers {offset + int(length)} bytes, the published file has {remote.size}")


def _stream(response, part: Path, offset: int, remote: RemoteFile, quiet: bool) -> "hashlib._Hash":
    """Append the response body to ``part`` (truncated first when ``offset`` is 0); returns its SHA-256."""
    from tqdm import tqdm

    digest = sha256_file(part, offset) if offset else hashlib.sha256()
    size = offset
    try:
        fh = open(part, "ab" if offset else "wb")
    except OSError as exc:
        raise DataError(f"cannot write {part}: {exc.strerror or exc}") from None
    with fh, tqdm(total=remote.size, initial=offset, unit="B", unit_scale=True, unit_divisor=1024,
                  desc=remote.name, disable=quiet, leave=True) as bar:
        read = getattr(response, "read1", response.read)  # read1: whatever has arrived, so a stall loses nothing
        while block := read(CHUNK_BYTES):
            if size + len(block) > remote.size:
                raise _BadContent(f"server sent more than the published {remote.size} bytes")
            try:
                fh.write(block)
            except OSError as exc:
                raise DataError(f"cannot write {part}: {exc.strerror or exc}") from None
            digest.update(block)
            size += len(block)
            bar.update(len(block))
        fh.flush()
        os.fsync(fh.fileno())
    if size < remote.size:
        raise _Incomplete(f"connection closed after {size} of {remote.size} bytes")
    return digest


def download_to_part(url: str, part: Path, remote: RemoteFile, timeout: float, quiet: bool) -> None:
    """Download (or resume) ``url`` into ``part`` and check its size and SHA-256."""
    offset = part.stat().st_size if part.exists() else 0
    if offset >= remote.size:  # a full-size .part from an earlier run: verify it without the network
        if offset == remote.size and sha256_file(part).hexdigest() == remote.sha256:
            return
        part.unlink()
        offset = 0
    response, offset = open_from(url, offset, timeout)
    with response:
        _check_length(response, offset, remote)
        digest = _stream(response, part, offset, remote, quiet)
    if digest.hexdigest() != remote.sha256:
        raise _BadContent(f"SHA-256 mismatch (got {digest.hexdigest()}, published {remote.sha256})")


# ----------------------------------------------------------------------------- public API
def fetch_file(remote: RemoteFile, folder: Path, mirrors: tuple[str, ...], timeout: float = DEFAULT_TIMEOUT,
               quiet: bool = False) -> Path:
    """Make ``folder/remote.name`` a verified copy of ``remote``, trying ``mirrors`` in order."""
    final = folder / remote.name
    if final.is_file():
        got = sha256_file(final).hexdigest()
        if got == remote.sha256:
            return final
        raise DataError(f"{final} exists but its SHA-256 is {got}, not the published {remote.sha256}; "
                        "delete it and fetch again")
    part = part_path(final)
    failures = []
    for mirror in mirrors:
        url = check_mirror(mirror) + remote.name
        try:
            download_to_part(url, part, remote, timeout, quiet)
        except _BadContent as exc:
            part.unlink(missing_ok=True)
            failures.append(f"{url}: {exc}")
            continue
        except (_Incomplete, urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            failures.append(f"{url}: {describe_error(exc, timeout)}")
            continue
        try:
            os.replace(part, final)
        except OSError as exc:
            raise DataError(f"cannot rename {part} to {final.name}: {exc.strerror or exc}") from None
        return final
    kept = f" (partial download kept in {part}; run the command again to resume)" if part.exists() else ""
    raise DataError(f"could not fetch {remote.name}: {'; '.join(failures)}{kept}")


def fetch_dataset(name: str, folder: str | Path | None = None, mirrors: tuple[str, ...] | None = None,
                  timeout: float = DEFAULT_TIMEOUT, quiet: bool = False) -> list[Path]:
    """Download the four IDX files of ``name`` into ``folder`` [default: ``$DISTMATCH_DATA/<name>``]."""
    if name not in FILES:
        raise DataError(f"cannot fetch {name!r}; choose one of {', '.join(FILES)}")
    if not timeout > 0:
        raise DataError(f"timeout must be positive, got {timeout}")
    mirrors = tuple(check_mirror(m) for m in (mirrors or MIRRORS[name]))
    target = Path(folder).expanduser() if folder is not None else default_dataset_dir(name)
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"cannot create {target}: {exc.strerror or exc}") from None
    return [fetch_file(remote, target, mirrors, timeout, quiet) for remote in FILES[name]]
