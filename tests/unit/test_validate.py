"""The validation vocabulary (geomem_utils.validate) and the layering it buys: data and model
modules refuse bad values with it and never import the notebook-parameter layer."""

from __future__ import annotations

import ast
import math
from pathlib import Path

import numpy as np
import pytest

import geomem_utils
from geomem_utils import params
from geomem_utils.validate import (
    ConfigError,
    ConfigTypeError,
    check_bool,
    check_choice,
    check_int,
    check_number,
    show,
)

PACKAGE = Path(geomem_utils.__file__).parent
#: The wings below the chapters: their modules refuse bad values with the validation vocabulary
#: and never import the notebook-parameter layer (Spec, resolve, pick_device), which only the
#: chapters, the executor and the sweep's run of one point (which picks a device) use.
NO_PARAMETER_LAYER = ("science", "runs", "figures", "live")


@pytest.mark.parametrize("call, fragment, error", [
    (lambda: check_int("degree", 0, 1), "degree must be >= 1, got 0", ConfigError),
    (lambda: check_int("size", 201, 3, 200), r"size must be in \[3, 200\], got 201", ConfigError),
    (lambda: check_int("width", 2.0, 1), "width must be an integer, got float 2.0", ConfigTypeError),
    (lambda: check_int("width", True, 0), "width must be an integer, got bool True", ConfigTypeError),
    (lambda: check_int("width", np.bool_(True), 0), "width must be an integer", ConfigTypeError),
    (lambda: check_int("width", np.int64(4), 1, numpy=False), "width must be an integer", ConfigTypeError),
    (lambda: check_int("width", 0, 1, owner="GPTConfig"), r"^GPTConfig\.width must be >= 1, got 0$", ConfigError),
    (lambda: check_number("lr", 0.0, 0.0, lo_open=True), "lr must be a finite number > 0, got 0.0", ConfigError),
    (lambda: check_number("lr", math.nan, 0.0), "lr must be a finite number >= 0, got nan", ConfigError),
    (lambda: check_number("lr", 10**400, 0.0), "lr must be a finite number >= 0, got an integer", ConfigError),
    (lambda: check_number("dropout", 1.0, 0.0, 1.0, hi_open=True), r"dropout must be a finite number in \[0, 1\), got 1.0",
     ConfigError),
    (lambda: check_number("lr", "fast"), "lr must be a number, got str 'fast'", ConfigTypeError),
    (lambda: check_number("lr", False, 0.0), "lr must be a number, got bool False", ConfigTypeError),
    (lambda: check_number("lr", np.float32(0.1), numpy=False), "lr must be a number", ConfigTypeError),
    (lambda: check_bool("tied", 1), "tied must be a bool, got int 1", ConfigTypeError),
    (lambda: check_bool("tied", np.bool_(True), numpy=False), "tied must be a bool", ConfigTypeError),
    (lambda: check_choice("mlp", "relu", ("gelu", "none"), owner="GPTConfig"),
     r"GPTConfig\.mlp must be one of \['gelu', 'none'\], got 'relu'", ConfigError),
    (lambda: check_choice("mlp", ["gelu"], ("gelu",)), "mlp must be one of", ConfigError),
    (lambda: check_choice("mlp", np.array(["gelu", "none"]), ("gelu",)), "mlp must be one of", ConfigError),
])
def test_each_check_refuses_a_bad_value_naming_it(call, fragment: str, error: type) -> None:
    with pytest.raises(error, match=fragment):
        call()


def test_each_check_accepts_a_good_value() -> None:
    assert check_int("n", np.int64(3), 1, 3) == 3 and type(check_int("n", np.int64(3), 1)) is int
    assert check_number("x", 1, 0.0, 1.0) == 1 and check_number("x", np.float32(0.5), 0.0, 1.0) == 0.5
    assert check_bool("b", np.bool_(False)) is False and check_bool("b", True, numpy=False) is True
    assert check_choice("c", "a", ("a", "b")) == "a"


def test_the_error_types_nest() -> None:
    # a type error is also a bad value: callers that catch ValueError or TypeError keep catching it
    assert issubclass(ConfigTypeError, ConfigError) and issubclass(ConfigTypeError, TypeError)
    assert issubclass(ConfigError, ValueError)
    # the notebook-parameter errors are the package's, so `except ConfigError` catches both
    assert issubclass(params.ParameterError, ConfigError)
    assert issubclass(params.ParameterTypeError, params.ParameterError)
    assert issubclass(params.ParameterTypeError, ConfigTypeError)
    with pytest.raises(ConfigTypeError, match="parameter SEED"):
        params.resolve({"SEED": "0"})
    assert params.show is show


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module the file imports from, the names) for every import of a file, at any depth;
    relative imports are resolved to a module of geomem_utils."""
    package = ["geomem_utils", *path.parent.relative_to(PACKAGE).parts]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            names = [a.name for a in node.names]
            out.append((module, names))
            out.extend((f"{module}.{n}", []) for n in names)  # `from . import params`
        elif isinstance(node, ast.Import):
            out.extend((a.name, []) for a in node.names)
    return out


def _modules() -> list[Path]:
    below = [p for wing in NO_PARAMETER_LAYER for p in (PACKAGE / wing).rglob("*.py")]
    return sorted([*below, *(p for p in PACKAGE.glob("*.py") if p.stem != "params")])


def test_only_the_parameter_layer_users_import_it() -> None:
    offenders = [f"{path.relative_to(PACKAGE)} imports {module}"
                 for path in _modules()
                 for module, _ in _imports(path) if module == "geomem_utils.params"]
    assert not offenders, offenders
    # the check reads what it should: the executor does import the layer
    assert any(m == "geomem_utils.params" for m, _ in _imports(PACKAGE / "execute" / "executor.py"))


def test_model_files_share_through_base_not_through_each_other() -> None:
    models = {p.stem for p in (PACKAGE / "science" / "models").glob("*.py")} - {"__init__", "base"}
    offenders = [f"models/{path.name} imports {module}"
                 for path in (PACKAGE / "science" / "models").glob("*.py") if path.stem != "__init__"
                 for module, _ in _imports(path) if module.split(".")[-1] in models and module.startswith("geomem_utils.science.models")]
    assert not offenders, offenders
