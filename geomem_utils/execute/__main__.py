"""``python -m geomem_utils.execute``: the executor's command line (:mod:`geomem_utils.execute.executor`)."""

from geomem_utils.execute.executor import main

if __name__ == "__main__":  # not when a spawned worker process re-imports this module
    raise SystemExit(main())
