"""No network at run time: the guard of tests/support/no_network.py works, and no code downloads.

The guard is a pytest plugin (enable it for the suite with ``pytest_plugins =
["no_network"]`` in tests/conftest.py); here it is also used directly, so these tests
hold whether or not the suite runs under it. Every process of the suite is guarded too:
a notebook kernel, a plain Python child and (inside ``make test``'s network namespace)
even a raw socket that bypasses Python's ``socket`` module cannot leave loopback. The scan
reads the code of ``geomem_utils/``, ``bench/``, ``book/`` and the code cells of
``notebooks/``: network modules, download calls,
CDN-loaded JavaScript, shell escapes and URLs in code are refused; URLs in markdown
cells, docstrings and comments are documentation and fine.
"""

from __future__ import annotations

import ast
import os
import re
import socket
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import pytest

import no_network as guard
from no_network import NetworkBlocked, no_network

ROOT = Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------------------- the guard

def test_guard_blocks_outbound_connections() -> None:
    with no_network():
        with pytest.raises(NetworkBlocked, match="8.8.8.8"):
            socket.create_connection(("8.8.8.8", 53), timeout=2)
        with pytest.raises(NetworkBlocked, match="2001:4860:4860::8888"):
            socket.create_connection(("2001:4860:4860::8888", 53), timeout=2)
        with pytest.raises(NetworkBlocked, match="example.org"):
            socket.getaddrinfo("example.org", 443)  # even name resolution
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            with pytest.raises(NetworkBlocked, match=r"send to \('8\.8\.8\.8', 53\)"):
                udp.sendto(b"x", ("8.8.8.8", 53))
            with pytest.raises(NetworkBlocked, match=r"connect to \('1\.1\.1\.1', 53\)"):
                udp.connect_ex(("1.1.1.1", 53))
        with pytest.raises(urllib.error.URLError) as err:  # what a download would see
            urllib.request.urlopen("http://example.org/weights.pt", timeout=2)
        assert isinstance(err.value.reason, NetworkBlocked)


def test_guard_allows_loopback_and_unix_sockets() -> None:
    with no_network():
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
            server.bind(("127.0.0.1", 0))
            server.listen(1)
            port = server.getsockname()[1]
            for host in ("127.0.0.1", "localhost"):
                with socket.create_connection((host, port), timeout=2) as client:
                    conn, _ = server.accept()
                    client.sendall(b"ping")
                    assert conn.recv(4) == b"ping"
                    conn.close()
        with tempfile.TemporaryDirectory(dir="/tmp") as d:
            path = os.path.join(d, "s")
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
                server.bind(path)
                server.listen(1)
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
                    client.connect(path)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.sendto(b"x", ("127.0.0.1", 9))


def test_guard_nests_and_restores_the_socket_module() -> None:
    before = socket.socket.connect
    session_guard = guard.is_active()
    with no_network():
        with no_network():
            assert guard.is_active()
        assert guard.is_active()
    assert guard.is_active() is session_guard
    assert socket.socket.connect is before


@pytest.mark.parametrize("address,local", [(("127.0.0.1", 1), True), (("127.8.9.1", 1), True), (("::1", 1, 0, 0), True),
                                           (("localhost", 1), True), (("0.0.0.0", 1), True), (("10.0.0.1", 1), False),
                                           (("8.8.8.8", 53), False), (("example.org", 80), False),
                                           (("fe80::1%eth0", 1, 0, 2), False)])
def test_is_local(address: tuple, local: bool) -> None:
    assert guard.is_local(address, socket.AF_INET6 if ":" in address[0] else socket.AF_INET) is local


# ---------------------------------------------------------------------------- no downloads in the code

NET_MODULES = {"urllib.request", "urllib3", "requests", "httpx", "http.client", "aiohttp", "ftplib", "socket",
               "huggingface_hub", "datasets", "wget", "pycurl", "gdown", "kaggle"}
NET_CALLS = {"urlopen", "urlretrieve", "hf_hub_download", "snapshot_download", "load_state_dict_from_url",
             "download_url", "download_and_extract_archive", "from_pretrained", "load_dataset", "load_url"}
CDN_VALUES = {"cdn", "directory", "notebook_connected", "iframe_connected"}
# a URL to another machine (a local server on the loopback, as the browser bench starts, is no network)
URL = re.compile(r"\b(?:https?|ftp)://(?!(?:127\.0\.0\.1|localhost)[:/])", re.I)


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                ids.add(id(first.value))
    return ids


def network_uses(source: str, where: str) -> list[str]:
    """Every place in ``source`` (Python, or a notebook cell) that could reach the network at run time."""
    found: list[str] = []
    lines = []
    for n, line in enumerate(source.splitlines(), 1):
        stripped = line.lstrip()
        if stripped.startswith("!") or re.match(r"%%?(pip|conda|bash|sh|system|script)\b", stripped):
            found.append(f"{where}:{n}: shell escape {stripped[:40]!r}")
            lines.append("")
        elif stripped.startswith("%"):
            lines.append("")  # other magics (%matplotlib, %time): not Python, not network
        else:
            lines.append(line)
    tree = ast.parse("\n".join(lines))
    docs = _docstrings(tree)
    for node in ast.walk(tree):
        at = f"{where}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Import):
            found += [f"{at}: import {a.name}" for a in node.names
                      if a.name in NET_MODULES or a.name.split(".")[0] in NET_MODULES - {"urllib"}]
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module in NET_MODULES or node.module.split(".")[0] in NET_MODULES:
                found.append(f"{at}: from {node.module} import ...")
            elif node.module == "urllib" and any(a.name == "request" for a in node.names):
                found.append(f"{at}: from urllib import request")
            elif node.module.startswith("torch") and any(a.name == "hub" for a in node.names):
                found.append(f"{at}: from {node.module} import hub")
        elif isinstance(node, ast.Attribute) and node.attr == "hub":
            found.append(f"{at}: .hub")
        elif isinstance(node, ast.Call):
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            if name in NET_CALLS:
                found.append(f"{at}: call {name}()")
            for kw in node.keywords:
                if kw.arg in ("include_plotlyjs", "include_mathjax", "renderer") and isinstance(kw.value, ast.Constant) \
                        and kw.value.value in CDN_VALUES:
                    found.append(f"{at}: {kw.arg}={kw.value.value!r} loads JavaScript from the network")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            if URL.search(node.value):
                found.append(f"{at}: URL in code {node.value[:60]!r}")
            elif node.value in ("notebook_connected", "iframe_connected"):
                found.append(f"{at}: plotly renderer {node.value!r} loads JavaScript from a CDN")
    return found


SCANNED = ("geomem_utils", "bench", "book")


def _code_files() -> list[tuple[str, str]]:
    out = [(str(p.relative_to(ROOT)), p.read_text()) for folder in SCANNED for p in sorted((ROOT / folder).rglob("*.py"))
           if not {"_build", "_vendor", "_generated"} & set(p.relative_to(ROOT).parts)]
    import jupytext

    for p in sorted((ROOT / "notebooks").glob("*.md")):
        nb = jupytext.read(p)
        for i, cell in enumerate(nb.cells):
            if cell.cell_type == "code":
                out.append((f"{p.relative_to(ROOT)}[cell {i}]", cell.source))
    return out


def test_no_code_reaches_the_network() -> None:
    files = _code_files()
    for folder in (*SCANNED, "notebooks"):
        assert any(w.startswith(f"{folder}/") for w, _ in files), f"nothing scanned in {folder}/"
    assert "book/build_book.py" in {w for w, _ in files}
    found = [hit for where, source in files for hit in network_uses(source, where)]
    assert not found, "network use at run time:\n" + "\n".join(found)


@pytest.mark.parametrize("snippet", [
    "import urllib.request\nurllib.request.urlopen(u)",
    "from urllib import request",
    "import requests\nrequests.get('x')",
    "from huggingface_hub import hf_hub_download",
    "model = AutoModel.from_pretrained(name)",
    "torch.hub.load('a/b', 'c')",
    "state = load_state_dict_from_url(u)",
    "URL = 'https://example.org/data.csv'",
    "URL = 'http://127.0.0.1.example.org/data.csv'",
    "fig.write_html(p, include_plotlyjs='cdn')",
    "pio.renderers.default = 'notebook_connected'",
    "!pip install umap-learn",
    "%pip install x",
    "import socket",
])
def test_the_scan_finds_planted_network_uses(snippet: str) -> None:
    assert network_uses(snippet, "planted")


@pytest.mark.parametrize("snippet", [
    '"""See https://arxiv.org/abs/2510.26745 for the paper."""\nx = 1',
    "def f():\n    '''Docs: https://example.org'''\n    return 1  # https://example.org in a comment",
    "%matplotlib inline\nimport numpy as np",
    "fig.to_html(include_plotlyjs=False)",
    "from urllib.parse import urlparse",
])
def test_the_scan_leaves_documentation_alone(snippet: str) -> None:
    assert network_uses(snippet, "doc") == []


# ---------------------------------------------------------------------------- every process of the suite

PROBE = """
import errno, socket, _socket, os
out = {}
try:
    socket.create_connection(("192.0.2.1", 80), timeout=3)
    out["python"] = "connected"
except Exception as err:
    out["python"] = type(err).__name__
raw = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)  # below the Python guard
raw.settimeout(3)
out["raw"] = errno.errorcode.get(raw.connect_ex(("192.0.2.1", 80)), "connected")
raw.close()
with socket.socket() as server:
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    with socket.create_connection(server.getsockname(), timeout=3) as client:
        conn, _ = server.accept()
        client.sendall(b"ping")
        out["loopback"] = conn.recv(4).decode()
        conn.close()
out["netns"] = os.environ.get("GEOMEM_NETNS")
print("PROBE", out)
"""


def _check_probe(out: dict) -> None:
    assert out["python"] == "NetworkBlocked", out  # the guard is installed in that process
    assert out["loopback"] == "ping", out  # the book server, kernels and Dask use loopback
    if out["netns"] == "1":  # make test: even a raw socket cannot leave loopback
        assert out["raw"] in ("ENETUNREACH", "EHOSTUNREACH", "ENETDOWN"), out


@pytest.mark.skipif(os.environ.get("GEOMEM_ALLOW_NETWORK") == "1", reason="network allowed on purpose")
def test_a_python_child_process_is_guarded() -> None:
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    _check_probe(eval(proc.stdout.split("PROBE", 1)[1]))  # noqa: S307 - our own dict repr


@pytest.mark.skipif(os.environ.get("GEOMEM_ALLOW_NETWORK") == "1", reason="network allowed on purpose")
def test_a_notebook_kernel_cannot_leave_loopback() -> None:
    """A kernel started as papermill starts one (jupyter_client, the suite's environment)."""
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3")
    try:
        reply = kc.execute_interactive(PROBE, timeout=60, output_hook=lambda msg: outputs.append(msg))
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    assert reply["content"]["status"] == "ok", reply["content"]
    text = "".join(m["content"].get("text", "") for m in outputs if m["msg_type"] == "stream")
    _check_probe(eval(text.split("PROBE", 1)[1]))  # noqa: S307 - our own dict repr


outputs: list[dict] = []


def test_offline_runner_brings_loopback_up_in_a_namespace(tmp_path: Path) -> None:
    """tests/support/offline.py (what make test runs pytest through): loopback up, nothing else routed."""
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("GEOMEM_NETNS", "GEOMEM_ALLOW_NETWORK")}
    proc = subprocess.run([sys.executable, str(ROOT / "tests" / "support" / "offline.py"), sys.executable, "-c", PROBE],
                          capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 0, proc.stderr
    out = eval(proc.stdout.split("PROBE", 1)[1])  # noqa: S307
    if "namespaces are not allowed" in proc.stderr:
        pytest.skip("no network namespaces on this machine (the Python guard still applies)")
    assert out["netns"] == "1" and out["raw"] == "ENETUNREACH" and out["loopback"] == "ping", out
