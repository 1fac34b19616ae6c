"""Installs the no-network guard of tests/support/no_network.py in every Python process of the suite.

The test plugin puts this folder on ``PYTHONPATH`` and sets ``GEOMEM_NO_NETWORK=1``, so
notebook kernels, workers and CLI runs started by the tests import this module at start-up
(Python imports ``sitecustomize`` from the path automatically). Outside the suite it does
nothing; ``GEOMEM_ALLOW_NETWORK=1`` switches it off.
"""

import os

if os.environ.get("GEOMEM_NO_NETWORK") == "1" and os.environ.get("GEOMEM_ALLOW_NETWORK") != "1":
    import importlib.util
    import sys
    from pathlib import Path

    _path = Path(__file__).resolve().parent.parent / "no_network.py"
    _spec = importlib.util.spec_from_file_location("no_network", _path)
    _guard = importlib.util.module_from_spec(_spec)
    sys.modules["no_network"] = _guard
    _spec.loader.exec_module(_guard)
    _guard.install_for_process()
