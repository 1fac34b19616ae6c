"""The package's validation vocabulary: two error types, ``show`` and four checks.

Every layer refuses a bad value with these, before any work starts, in a message that
names the value (``"degree must be >= 1, got 0"``) and, where a config class owns it, the
owner (``"GPTConfig.width must be >= 1, got 0"``). The notebook-parameter layer
(:mod:`geomem_utils.params`) subclasses the errors, so ``except ConfigError`` catches a
bad notebook parameter and a bad argument of a data or model function alike.

``numpy=False`` (model and run configs, which are hashed and written as JSON) takes
Python ``int``/``float``/``bool`` only; the default also takes numpy's scalars.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np


class ConfigError(ValueError):
    """A value was unknown, ill-typed or impossible; the message names it."""


class ConfigTypeError(ConfigError, TypeError):
    """A value had the wrong type. Also a ``ConfigError`` (and so a ``ValueError``), as numpy's
    ``AxisError`` is both: callers that catch either kind keep catching it."""


def show(value: Any, limit: int = 80) -> str:
    """``repr(value)`` for an error message: shortened, and safe for any value."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        return f"an integer of about 10**{int(value.bit_length() * 0.30103)}"
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - a message must never fail to build
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _label(name: str, owner: str | None) -> str:
    return f"{owner}.{name}" if owner else name


def _wrong_type(label: str, what: str, value: Any) -> ConfigTypeError:
    return ConfigTypeError(f"{label} must be {what}, got {type(value).__name__} {show(value)}")


def _is_bool(value: Any) -> bool:
    return isinstance(value, (bool, np.bool_))


def check_int(name: str, value: Any, lo: int | None = None, hi: int | None = None, *,
              owner: str | None = None, numpy: bool = True) -> int:
    """``value`` as an ``int`` in ``[lo, hi]`` (a missing end is open); not a bool."""
    label = _label(name, owner)
    kinds = numbers.Integral if numpy else int
    if _is_bool(value) or not isinstance(value, kinds):
        raise _wrong_type(label, "an integer", value)
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        bound = f"in [{lo}, {hi}]" if lo is not None and hi is not None else f">= {lo}" if lo is not None else f"<= {hi}"
        raise ConfigError(f"{label} must be {bound}, got {show(value)}")
    return int(value)


def check_number(name: str, value: Any, lo: float | None = None, hi: float | None = None, *,
                 lo_open: bool = False, hi_open: bool = False, owner: str | None = None,
                 numpy: bool = True) -> Any:
    """``value`` unchanged if it is a finite real number between ``lo`` and ``hi`` (each end
    closed unless ``lo_open``/``hi_open``; a missing end is open); not a bool."""
    label = _label(name, owner)
    kinds = numbers.Real if numpy else (int, float)
    if _is_bool(value) or not isinstance(value, kinds):
        raise _wrong_type(label, "a number", value)
    try:
        finite = math.isfinite(value)
    except OverflowError:  # an int too large for a float
        finite = False
    low_ok = lo is None or (value > lo if lo_open else value >= lo)
    high_ok = hi is None or (value < hi if hi_open else value <= hi)
    if not (finite and low_ok and high_ok):
        if lo is not None and hi is not None:
            bound = f" in {'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}"
        elif lo is not None:
            bound = f" {'>' if lo_open else '>='} {lo:g}"
        else:
            bound = f" {'<' if hi_open else '<='} {hi:g}" if hi is not None else ""
        raise ConfigError(f"{label} must be a finite number{bound}, got {show(value)}")
    return value


def check_bool(name: str, value: Any, *, owner: str | None = None, numpy: bool = True) -> bool:
    """``value`` as a ``bool``; ``1`` or ``"yes"`` is refused (a typo, not a switch)."""
    if not (isinstance(value, bool) or (numpy and isinstance(value, np.bool_))):
        raise _wrong_type(_label(name, owner), "a bool", value)
    return bool(value)


def check_choice(name: str, value: Any, choices: tuple[Any, ...], *, owner: str | None = None) -> Any:
    """``value`` if it is one of ``choices``; a list, dict, set or array never is."""
    try:
        ok = not isinstance(value, (list, dict, set, np.ndarray)) and value in choices
    except (TypeError, ValueError):  # a value that cannot be compared
        ok = False
    if not ok:
        raise ConfigError(f"{_label(name, owner)} must be one of {list(choices)}, got {show(value)}")
    return value
