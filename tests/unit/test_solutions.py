"""``make solutions`` (geomem_utils.execute.solutions): every exercise has a solution, the
code of every solution is found as runnable, and a failing block is reported by its label."""

from __future__ import annotations

import re
from pathlib import Path

from geomem_utils.execute import solutions
from geomem_utils.execute.inputs import parse_value

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"


def exercises(path: Path) -> list[str]:
    return re.findall(r"^`{3,}\{exercise\}\n:label: (\S+)", path.read_text(), flags=re.M)


def test_every_exercise_has_its_solution_right_after_it() -> None:
    for path in sorted(NOTEBOOKS.glob("0*.md")):
        labels = [s.label for s in solutions.solutions_of(path)]
        assert labels == exercises(path), path.name


def test_every_solution_with_code_has_a_runnable_block_and_no_unmarked_code() -> None:
    found = solutions.all_solutions(NOTEBOOKS)
    assert solutions.unmarked_code(found) == []
    with_code = [s for s in found if "```{code-block}" in "\n".join(
        s.path.read_text().split(f"{{solution}} {s.label}", 1)[1].split("\n````\n", 1)[0].splitlines())]
    assert with_code and all(s.blocks for s in with_code)
    assert {b.language for s in found for b in s.blocks} == {"bash", "python"}


PLANTED = """# A chapter

````{exercise}
:label: ex-planted-ok

Print something.
````

````{solution} ex-planted-ok
:class: dropdown

```{code-block} python
:class: solution-code

print("fine")
```
````

````{exercise}
:label: ex-planted-failure

Fail.
````

````{solution} ex-planted-failure
:class: dropdown

```{code-block} python
:class: solution-code

raise SystemExit("planted failure")
```
````
"""


def test_a_failing_solution_is_reported_by_its_label(tmp_path: Path, capsys) -> None:
    (tmp_path / "09_planted.md").write_text(PLANTED)
    assert solutions.main(["--notebooks", str(tmp_path)]) == 1
    out = capsys.readouterr()
    assert "FAILED ex-planted-failure (09_planted.md" in out.err and "planted failure" in out.err
    assert "failed exercises: ex-planted-failure" in out.err and "ex-planted-ok: ok" in out.out


def test_unmarked_code_in_a_solution_is_reported(tmp_path: Path, capsys) -> None:
    (tmp_path / "09_planted.md").write_text(PLANTED.replace(":class: solution-code\n\nprint", "\nprint"))
    assert solutions.main(["--notebooks", str(tmp_path), "--list"]) == 1
    assert "09_planted.md:12 (ex-planted-ok)" in capsys.readouterr().err


def test_a_bare_comma_separated_parameter_stays_text() -> None:
    assert parse_value("5,6,7") == "5,6,7"
    assert parse_value("0.5") == 0.5 and parse_value("True") is True and parse_value("[1, 2]") == [1, 2]


def test_a_size_far_beyond_smoke_runs_capped_and_the_rest_as_written(tmp_path: Path) -> None:
    """``make run`` in a solution's smoke run: a size the executor would refuse at smoke
    (more than FAR_BEYOND times smoke's default) is capped at that bound, the other
    parameters pass as written, and the real make gets them with PROFILE=smoke."""
    import os
    import subprocess

    from geomem_utils.chapters import chapter
    from geomem_utils.execute.executor import FAR_BEYOND

    spec = chapter("02_spectral_bias").specs
    cap = FAR_BEYOND * spec["N2V_STEPS"].default_for("smoke")
    degree = spec["DEGREE"].default_for("smoke") + 1
    args, changed = solutions.smoke_args("02_spectral_bias", f"-p N2V_STEPS {100 * cap} -p DEGREE {degree}")
    assert args == f"-p N2V_STEPS {cap} -p DEGREE {degree}"
    assert changed == [f"N2V_STEPS {100 * cap} -> {cap}"]
    assert solutions.smoke_args("06_how_far_it_holds", "-p LENGTHS 5,6,7") == ("-p LENGTHS 5,6,7", [])
    # the bash wrapper hands the capped ARGS to the real make (a fake one on PATH records them)
    (tmp_path / "make").write_text('#!/bin/bash\nprintf "%s\\n" "$@" > "$(dirname "$0")/argv"\n')
    (tmp_path / "make").chmod(0o755)
    script = (solutions._make_wrapper("ex-test")
              + f'make run NB=02_spectral_bias ARGS="-p N2V_STEPS {100 * cap}"\n')
    subprocess.run(["bash", "-c", script], cwd=ROOT, check=True, capture_output=True,
                   env={**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}"})
    argv = (tmp_path / "argv").read_text().splitlines()
    assert f"ARGS=-p N2V_STEPS {cap}" in argv and "PROFILE=smoke" in argv
    assert "NB=02_spectral_bias" in argv and f"RUN_DIR={solutions.RUNS}/ex-test" in argv
