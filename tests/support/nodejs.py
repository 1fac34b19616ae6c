"""Node.js for the tests that run the page's script (book/_assets/geomem-live.js) outside a browser."""

from __future__ import annotations

import shutil

import pytest


def node() -> str:
    """The ``node`` binary; a failure (not a skip) when it is missing: the book's build needs it too."""
    path = shutil.which("node")
    if path is None:
        pytest.fail("Node.js is missing: the book's build needs it (npm) and so does this test "
                    "(apt-get install -y nodejs npm)")
    return path
