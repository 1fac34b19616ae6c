"""``python -m geomem_utils.sweep NAME``: the sweep command line (:mod:`geomem_utils.sweep.cli`)."""

from geomem_utils.sweep.cli import main

if __name__ == "__main__":  # not when a spawned worker process re-imports this module
    raise SystemExit(main())
