"""A pytest plugin that blocks outbound network access for the whole test session.

The book must run offline: nothing downloads data, weights or JavaScript at run time.
With this plugin loaded, any attempt by the test process to reach a non-local address
raises :class:`NetworkBlocked` at once (no timeout), while loopback (127.0.0.0/8, ::1,
``localhost``) and Unix sockets keep working (Jupyter kernels, the local book server).

Enable it for the suite with one line in ``tests/conftest.py``::

    pytest_plugins = ["no_network"]

(or for one run: ``PYTHONPATH=tests pytest -p no_network tests``). Set
``GEOMEM_ALLOW_NETWORK=1`` to switch it off. It guards Python's ``socket`` module:
connect, sendto/sendmsg and name resolution.

Every process of the suite is covered, in two layers:

- every Python process the suite starts (notebook kernels, the determinism worker, CLI
  runs, the book build): the plugin puts ``tests/_netguard`` on ``PYTHONPATH`` and sets
  ``GEOMEM_NO_NETWORK=1``; that folder's ``sitecustomize`` installs this guard at start-up;
- everything else, C libraries and Chromium included: ``make test`` runs pytest through
  ``tests/support/offline.py``, which puts it in a network namespace with loopback only where the
  machine allows it (``unshare``); there a non-loopback connect fails in the kernel itself.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import socket
import sys
from pathlib import Path
from typing import Any, Iterator

#: The folder whose ``sitecustomize`` installs the guard in every Python child process.
SITE_DIR = Path(__file__).resolve().parent / "_netguard"

LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback", ""}


class NetworkBlocked(OSError):
    """Raised instead of opening an outbound connection while the guard is active."""


def is_local(address: Any, family: int | None = None) -> bool:
    """True for Unix sockets, loopback and unspecified addresses, and local host names."""
    if family is not None and family not in (socket.AF_INET, socket.AF_INET6):
        return True  # Unix, netlink, ...: not the internet
    if isinstance(address, (str, bytes)) and family is None:
        return True  # a Unix socket path
    if isinstance(address, tuple) and address:
        host = address[0]
    else:
        host = address
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    host = str(host).strip("[]").split("%")[0].lower()
    if host in LOCAL_NAMES or host == socket.gethostname().lower():
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False  # a remote host name
    return ip.is_loopback or ip.is_unspecified


_ORIGINAL: dict[str, Any] = {}
_depth = 0


def _blocked(what: str, address: Any) -> NetworkBlocked:
    return NetworkBlocked(f"network access blocked during tests: {what} {address!r} (see tests/support/no_network.py)")


def _install() -> None:
    _ORIGINAL.update(
        connect=socket.socket.connect, connect_ex=socket.socket.connect_ex, sendto=socket.socket.sendto,
        sendmsg=socket.socket.sendmsg, getaddrinfo=socket.getaddrinfo,
    )

    def connect(self: socket.socket, address: Any) -> None:
        if not is_local(address, self.family):
            raise _blocked("connect to", address)
        return _ORIGINAL["connect"](self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if not is_local(address, self.family):
            raise _blocked("connect to", address)
        return _ORIGINAL["connect_ex"](self, address)

    def sendto(self: socket.socket, data: Any, *args: Any) -> int:
        address = args[-1]  # sendto(data, address) or sendto(data, flags, address)
        if not is_local(address, self.family):
            raise _blocked("send to", address)
        return _ORIGINAL["sendto"](self, data, *args)

    def sendmsg(self: socket.socket, buffers: Any, ancdata: Any = (), flags: int = 0, address: Any = None) -> int:
        if address is not None and not is_local(address, self.family):
            raise _blocked("send to", address)
        args = (buffers, ancdata, flags) if address is None else (buffers, ancdata, flags, address)
        return _ORIGINAL["sendmsg"](self, *args)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not is_local(host, socket.AF_INET):
            raise _blocked("resolve", host)
        return _ORIGINAL["getaddrinfo"](host, *args, **kwargs)

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    socket.socket.sendto = sendto  # type: ignore[method-assign]
    socket.socket.sendmsg = sendmsg  # type: ignore[method-assign]
    socket.getaddrinfo = getaddrinfo


def _uninstall() -> None:
    socket.socket.connect = _ORIGINAL["connect"]  # type: ignore[method-assign]
    socket.socket.connect_ex = _ORIGINAL["connect_ex"]  # type: ignore[method-assign]
    socket.socket.sendto = _ORIGINAL["sendto"]  # type: ignore[method-assign]
    socket.socket.sendmsg = _ORIGINAL["sendmsg"]  # type: ignore[method-assign]
    socket.getaddrinfo = _ORIGINAL["getaddrinfo"]
    _ORIGINAL.clear()


def is_active() -> bool:
    return _depth > 0


@contextlib.contextmanager
def no_network() -> Iterator[None]:
    """Block outbound network inside the block (nests; restores the socket module after)."""
    global _depth
    if _depth == 0:
        _install()
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        if _depth == 0:
            _uninstall()


def install_for_process() -> None:
    """Block outbound network for the rest of this process (``sitecustomize`` of child processes)."""
    global _depth
    if _depth == 0:
        _install()
    _depth += 1


def guard_children(env: "os._Environ[str] | dict[str, str]") -> None:
    """Make every Python process started with ``env`` install the guard at start-up."""
    env["GEOMEM_NO_NETWORK"] = "1"
    paths = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    if str(SITE_DIR) not in paths:
        env["PYTHONPATH"] = os.pathsep.join([str(SITE_DIR), *paths])


def in_network_namespace() -> bool:
    """True inside the loopback-only namespace of tests/support/offline.py."""
    return os.environ.get("GEOMEM_NETNS") == "1"


_SESSION: contextlib.ExitStack | None = None


def pytest_configure(config: Any) -> None:
    """Active from configuration on, so that imports during collection are covered too;
    and in every Python process the suite starts."""
    global _SESSION
    if os.environ.get("GEOMEM_ALLOW_NETWORK") == "1":
        return
    guard_children(os.environ)
    _SESSION = contextlib.ExitStack()
    _SESSION.enter_context(no_network())


def pytest_unconfigure(config: Any) -> None:
    global _SESSION
    if _SESSION is not None:
        _SESSION.close()
        _SESSION = None


if "pytest" in sys.modules:  # the plugin; a child process's sitecustomize needs no pytest
    import pytest

    @pytest.fixture
    def network_blocked() -> Iterator[None]:
        """For a single test: ``def test_x(network_blocked): ...``."""
        with no_network():
            yield
