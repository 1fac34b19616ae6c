"""Run a command with no network but loopback: ``python tests/support/offline.py CMD [ARGS...]``.

``make test`` runs pytest through this (after installing Chromium, which needs the
network). Where the machine allows it, the command runs in a new network namespace
(``unshare -n`` as root, ``unshare -rn`` otherwise) whose only interface is loopback,
brought up here: every process of the suite, Chromium and C libraries included, can
reach 127.0.0.1 and nothing else, and a connect elsewhere fails in the kernel at once
(``ENETUNREACH``). Where namespaces are not allowed, the command runs as it is and says
so; the Python guard of tests/support/no_network.py still covers every Python process.
``GEOMEM_ALLOW_NETWORK=1`` runs the command unchanged.
"""

from __future__ import annotations

import _socket
import errno
import fcntl
import os
import shutil
import socket
import struct
import subprocess
import sys

SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1


def loopback_up() -> None:
    """Bring ``lo`` up in this (new) namespace, as ``ip link set lo up`` would."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        flags = struct.unpack("16sH", fcntl.ioctl(s, SIOCGIFFLAGS, struct.pack("16sH", b"lo", 0)))[1]
        fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack("16sH", b"lo", flags | IFF_UP))


def check_offline() -> None:
    """Loopback answers; a public address is unreachable (not merely slow)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        socket.create_connection(server.getsockname(), timeout=5).close()
    out = _socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # the kernel's answer, below any Python guard
    out.settimeout(5)
    code = out.connect_ex(("192.0.2.1", 80))  # TEST-NET-1
    out.close()
    if code != errno.ENETUNREACH:
        raise SystemExit(f"offline.py: the namespace still routes outside (connect gave {errno.errorcode.get(code, code)})")


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    if os.environ.get("GEOMEM_ALLOW_NETWORK") == "1":
        os.execvp(argv[0], argv)
    if os.environ.get("GEOMEM_NETNS") == "1":  # inside the namespace: loopback up, then the command
        loopback_up()
        check_offline()
        os.execvp(argv[0], argv)
    unshare = shutil.which("unshare")
    flags = ["-n"] if os.geteuid() == 0 else ["-rn"]
    if unshare and subprocess.run([unshare, *flags, "true"], capture_output=True).returncode == 0:
        env = {**os.environ, "GEOMEM_NETNS": "1"}
        os.execvpe(unshare, [unshare, *flags, sys.executable, os.path.abspath(__file__), *argv], env)
    print("offline.py: network namespaces are not allowed here; running with the Python guard only "
          "(tests/support/no_network.py)", file=sys.stderr)
    os.execvp(argv[0], argv)
    return 1  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
