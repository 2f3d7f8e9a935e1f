"""`distmatch data fetch` against a local HTTP server (127.0.0.1, never the internet).

The server serves small MNIST-format IDX .gz files written by the test, honours ``Range``
(or ignores it, or stalls, on demand); the production checksum table is swapped for the test
files' own sizes and SHA-256 sums with ``monkeypatch``.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
from click.testing import CliRunner

from distmatch.data import get_dataset
from distmatch.data import download
from distmatch.data.cli import data
from distmatch.data.download import FILES, MIRRORS, RemoteFile, fetch_dataset
from distmatch.data.errors import DataError
from distmatch.data.images import IDX_FILES
from distmatch.data.paths import DATA_ENV, data_root, default_dataset_dir

N_TRAIN, N_TEST = 120, 30  # train images .gz > 64 KiB, so a mid-transfer stall leaves a prefix


class Handler(BaseHTTPRequestHandler):
    """GET /<anything>/<file>: the file from ``server.files``; behaviour set by ``server.mode``."""

    def do_GET(self) -> None:  # noqa: N802 (http.server API)
        srv = self.server
        srv.requests.append((self.path, self.headers.get("Range")))
        body = srv.files.get(self.path.rsplit("/", 1)[-1])
        if body is None or self.path.startswith("/missing/"):
            self.send_error(404, "Not Found")
            return
        if srv.mode == "stall-before":
            srv.release.wait(10)
            return
        start = self._range_start(len(body))
        if start is None:
            return
        payload = body[start:]
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if srv.mode == "stall-mid":
            self.wfile.write(payload[: len(payload) // 2])
            self.wfile.flush()
            srv.release.wait(10)
            return
        self.wfile.write(payload)

    def _range_start(self, size: int) -> int | None:
        """Send the status line for the requested range; None when the answer is already complete."""
        match = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range") or "")
        if match is None or self.server.mode == "ignore-range":
            self.send_response(200)
            return 0
        start = int(match.group(1))
        if start >= size:
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{size}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        self.send_response(206)
        self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
        return start

    def log_message(self, *args) -> None:
        """Keep the test output clean."""


def idx_gz_files(seed: int = 0) -> dict[str, bytes]:
    """The four IDX files of a tiny MNIST, gzipped, keyed by their download names."""
    rng = np.random.default_rng(seed)
    arrays = {"train_images": rng.integers(0, 256, (N_TRAIN, 28, 28), dtype=np.uint8),
              "train_labels": (np.arange(N_TRAIN) % 10).astype(np.uint8),
              "test_images": rng.integers(0, 256, (N_TEST, 28, 28), dtype=np.uint8),
              "test_labels": (np.arange(N_TEST) % 10).astype(np.uint8)}
    out = {}
    for key, arr in arrays.items():
        raw = bytes([0, 0, 0x08, arr.ndim]) + b"".join(d.to_bytes(4, "big") for d in arr.shape) + arr.tobytes()
        out[IDX_FILES[key] + ".gz"] = gzip.compress(raw, mtime=0)
    return out


@pytest.fixture
def files(monkeypatch):
    """The test files, with the checksum table for 'mnist' replaced by their own size and SHA-256."""
    blobs = idx_gz_files()
    table = tuple(RemoteFile(name, len(b), hashlib.sha256(b).hexdigest()) for name, b in blobs.items())
    monkeypatch.setitem(FILES, "mnist", table)
    return blobs


@pytest.fixture
def server(files):
    """A threaded HTTP server on 127.0.0.1 (free port) serving ``files``; yields it with ``.url``."""
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.files, srv.mode, srv.requests, srv.release = dict(files), "normal", [], threading.Event()
    srv.url = f"http://127.0.0.1:{srv.server_address[1]}/mnist/"
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield srv
    srv.release.set()
    srv.shutdown()
    srv.server_close()
    thread.join(5)


@pytest.fixture
def data_home(tmp_path, monkeypatch):
    """$DISTMATCH_DATA pointed at an empty tmp folder."""
    root = tmp_path / "data-home"
    monkeypatch.setenv(DATA_ENV, str(root))
    return root


def fetch(*args: str):
    """Invoke ``distmatch data fetch`` through click."""
    return CliRunner().invoke(data, ["fetch", *args])


def assert_one_line_error(result, *fragments: str) -> str:
    """Non-zero exit, a single 'Error: ...' line holding every fragment, no traceback."""
    assert result.exit_code != 0
    assert isinstance(result.exception, SystemExit), result.exception
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


def listing(folder) -> set[str]:
    """File names in ``folder``."""
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


# ----------------------------------------------------------------------------- success
def test_fetch_into_default_dir_then_run_loads_it(server, files, data_home):
    result = fetch("mnist", "--mirror", server.url, "--quiet")
    assert result.exit_code == 0, result.output
    assert result.output == ""
    folder = data_home / "mnist"
    assert listing(folder) == set(files)  # no .part or temp files left
    for name, blob in files.items():
        assert (folder / name).read_bytes() == blob
    ds = get_dataset("mnist")  # no data_dir: the fetch folder
    assert ds.train.shape == (N_TRAIN, 1, 28, 28) and ds.test.shape == (N_TEST, 1, 28, 28)
    assert all(rng is None for _, rng in server.requests)


def test_summary_and_verified_files_are_not_downloaded_again(server, files, tmp_path):
    target = tmp_path / "here"
    first = fetch("mnist", "--mirror", server.url, "--to", str(target))
    assert first.exit_code == 0, first.output
    assert "4 files with verified SHA-256" in first.output and f"--data-dir {target}" in first.output
    n_requests = len(server.requests)
    again = fetch("mnist", "--mirror", server.url, "--to", str(target), "--quiet")
    assert again.exit_code == 0 and len(server.requests) == n_requests
    assert len(get_dataset("mnist", str(target)).test) == N_TEST


def test_several_mirrors_tried_in_order(server, files, tmp_path):
    base = server.url.rsplit("/mnist/", 1)[0]
    result = fetch("mnist", "--mirror", f"{base}/missing/", "--mirror", server.url, "--to", str(tmp_path), "--quiet")
    assert result.exit_code == 0, result.output
    assert listing(tmp_path) == set(files)


# ----------------------------------------------------------------------------- resume
def test_resume_partial_download_with_range(server, files, tmp_path):
    name = "train-images-idx3-ubyte.gz"
    blob = files[name]
    (tmp_path / f"{name}.part").write_bytes(blob[:1000])
    result = fetch("mnist", "--mirror", server.url, "--to", str(tmp_path), "--quiet")
    assert result.exit_code == 0, result.output
    assert (tmp_path / name).read_bytes() == blob and listing(tmp_path) == set(files)
    assert (f"/mnist/{name}", "bytes=1000-") in server.requests


def test_server_ignoring_range_restarts_cleanly(server, files, tmp_path):
    server.mode = "ignore-range"
    name = "train-labels-idx1-ubyte.gz"
    (tmp_path / f"{name}.part").write_bytes(b"not a prefix of the real file")
    result = fetch("mnist", "--mirror", server.url, "--to", str(tmp_path), "--quiet")
    assert result.exit_code == 0, result.output
    assert (tmp_path / name).read_bytes() == files[name]
    assert (f"/mnist/{name}", "bytes=29-") in server.requests  # asked to resume, got 200, restarted


@pytest.mark.parametrize("extra", [0, 7])
def test_full_or_oversized_wrong_part_is_replaced(server, files, tmp_path, extra):
    name = "t10k-labels-idx1-ubyte.gz"
    (tmp_path / f"{name}.part").write_bytes(b"\x00" * (len(files[name]) + extra))
    result = fetch("mnist", "--mirror", server.url, "--to", str(tmp_path), "--quiet")
    assert result.exit_code == 0, result.output
    assert (tmp_path / name).read_bytes() == files[name]


def test_complete_part_is_verified_and_renamed_without_network(server, files, tmp_path):
    name = "t10k-labels-idx1-ubyte.gz"
    (tmp_path / f"{name}.part").write_bytes(files[name])
    assert fetch("mnist", "--mirror", server.url, "--to", str(tmp_path), "--quiet").exit_code == 0
    assert not any(path.endswith(name) for path, _ in server.requests)
    assert listing(tmp_path) == set(files)


def test_416_and_wrong_content_range_restart_without_range(server, files):
    name = "t10k-labels-idx1-ubyte.gz"
    size = len(files[name])
    response, offset = download.open_from(server.url + name, size + 10, timeout=5)  # 416 -> plain GET
    with response:
        assert offset == 0 and response.status == 200 and response.read() == files[name]
    response, offset = download.open_from(server.url + name, 10, timeout=5)
    with response:
        assert offset == 10 and response.status == 206 and response.read() == files[name][10:]
    assert server.requests[-3:] == [(f"/mnist/{name}", f"bytes={size + 10}-"), (f"/mnist/{name}", None),
                                    (f"/mnist/{name}", "bytes=10-")]


# ----------------------------------------------------------------------------- errors
def test_wrong_checksum_is_one_line_and_leaves_nothing(server, files, tmp_path, monkeypatch):
    table = list(FILES["mnist"])
    table[0] = RemoteFile(table[0].name, table[0].size, "0" * 64)
    monkeypatch.setitem(FILES, "mnist", tuple(table))
    result = fetch("mnist", "--mirror", server.url, "--to", str(tmp_path), "--quiet")
    assert_one_line_error(result, "SHA-256 mismatch", table[0].name, "0" * 64)
    assert listing(tmp_path) == set()  # no final file, the .part deleted


def test_wrong_size_is_refused_before_writing(server, files, tmp_path, monkeypatch):
    table = list(FILES["mnist"])
    real = table[1].size
    table[1] = RemoteFile(table[1].name, real + 5, table[1].sha256)
    monkeypatch.setitem(FILES, "mnist", tuple(table))
    result = fetch("mnist", "--mirror", server.url, "--to", str(tmp_path), "--quiet")
    assert_one_line_error(result, table[1].name, f"server offers {real} bytes, the published file has {real + 5}")
    assert table[1].name not in listing(tmp_path) and f"{table[1].name}.part" not in listing(tmp_path)


def test_404_is_one_line(server, files, tmp_path):
    del server.files["t10k-images-idx3-ubyte.gz"]
    result = fetch("mnist", "--mirror", server.url, "--to", str(tmp_path), "--quiet")
    assert_one_line_error(result, "HTTP 404", "t10k-images-idx3-ubyte.gz")
    assert not (tmp_path / "t10k-images-idx3-ubyte.gz").exists()
    assert not (tmp_path / "t10k-images-idx3-ubyte.gz.part").exists()


def test_timeout_before_response_is_one_line(server, files, tmp_path):
    server.mode = "stall-before"
    result = fetch("mnist", "--mirror", server.url, "--to", str(tmp_path), "--timeout", "0.3", "--quiet")
    assert_one_line_error(result, "timed out after 0.3 s", "train-images-idx3-ubyte.gz")
    assert listing(tmp_path) == set()


def test_timeout_mid_transfer_keeps_prefix_and_resumes(server, files, tmp_path):
    name = "train-images-idx3-ubyte.gz"
    server.mode = "stall-mid"
    result = fetch("mnist", "--mirror", server.url, "--to", str(tmp_path), "--timeout", "0.3", "--quiet")
    assert_one_line_error(result, "timed out", "partial download kept", f"{name}.part")
    part = (tmp_path / f"{name}.part").read_bytes()
    assert 0 < len(part) < len(files[name]) and files[name].startswith(part)
    assert not (tmp_path / name).exists()
    server.mode = "normal"
    result = fetch("mnist", "--mirror", server.url, "--to", str(tmp_path), "--quiet")
    assert result.exit_code == 0, result.output
    assert (f"/mnist/{name}", f"bytes={len(part)}-") in server.requests
    assert listing(tmp_path) == set(files)


def test_connection_refused_is_one_line(files, tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = fetch("mnist", "--mirror", f"http://127.0.0.1:{port}/", "--to", str(tmp_path), "--timeout", "2")
    assert_one_line_error(result, f"127.0.0.1:{port}", "could not fetch")


@pytest.mark.parametrize("url", ["ftp://example.org/mnist/", "not a url", "http://127.0.0.1:notaport/"])
def test_bad_mirror_url(files, tmp_path, url):
    assert_one_line_error(fetch("mnist", "--mirror", url, "--to", str(tmp_path)), "http:// or https://")


def test_existing_corrupt_file_is_left_alone(server, files, tmp_path):
    name = "train-labels-idx1-ubyte.gz"
    (tmp_path / name).write_bytes(b"my own file")
    result = fetch("mnist", "--mirror", server.url, "--to", str(tmp_path), "--quiet")
    assert_one_line_error(result, str(tmp_path / name), "delete it")
    assert (tmp_path / name).read_bytes() == b"my own file"


def test_unwritable_target_is_one_line(files, tmp_path):
    (tmp_path / "file").write_text("x")
    result = fetch("mnist", "--to", str(tmp_path / "file" / "sub"))
    assert_one_line_error(result, "cannot create")


def test_unknown_name_and_bad_timeout(tmp_path):
    assert fetch("cifar").exit_code != 0
    assert fetch("mnist", "--timeout", "0").exit_code != 0
    with pytest.raises(DataError, match="cannot fetch"):
        fetch_dataset("cifar", tmp_path)


# ----------------------------------------------------------------------------- table and paths
@pytest.mark.parametrize("name", ["mnist", "fashion-mnist"])
def test_production_table_is_complete(name):
    table = download.FILES[name]
    assert {r.name for r in table} == {stem + ".gz" for stem in IDX_FILES.values()}
    assert all(re.fullmatch(r"[0-9a-f]{64}", r.sha256) and r.size > 1000 for r in table)
    assert len({r.sha256 for r in table}) == 4
    assert all(m.startswith(("http://", "https://")) and m.endswith("/") for m in MIRRORS[name])


def test_published_sizes_and_mnist_train_sha256():
    sizes = {r.name: r.size for r in download.FILES["mnist"]}
    assert sizes["train-images-idx3-ubyte.gz"] == 9912422 and sizes["t10k-labels-idx1-ubyte.gz"] == 4542
    assert download.FILES["mnist"][0].sha256.startswith("440fcabf73cc546f")


def test_data_root_env_and_default(monkeypatch, tmp_path):
    monkeypatch.setenv(DATA_ENV, str(tmp_path / "x"))
    assert data_root() == tmp_path / "x" and default_dataset_dir("mnist") == tmp_path / "x" / "mnist"
    monkeypatch.delenv(DATA_ENV)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_dataset_dir("fashion-mnist") == tmp_path / "home" / ".cache" / "distmatch" / "data" / "fashion-mnist"
