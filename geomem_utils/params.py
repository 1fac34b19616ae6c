"""Parameters: one flat cell in each notebook, turned into a typed, validated config.

Every notebook has a cell tagged ``parameters`` holding plain literals (``PROFILE = "ci"``,
``SEED = 0``, ``DEGREE = None``, ...). ``None`` means "the profile's default". The next
cell calls :func:`resolve`, which fills the defaults of the chosen profile and rejects
an unknown name, a wrong type or an impossible value *before any work starts*, with a
message that names the parameter.

Profiles: ``smoke`` (a few steps, checks recorded but not enforced: the edit-run loop),
``ci`` (a laptop CPU in minutes, checks enforced) and ``full`` (the paper's sizes, a GPU).
The ``smoke`` and ``ci`` profiles state their device: ``DEVICE="auto"`` resolves to
``"cpu"`` there, because their thresholds were calibrated on CPU float32; a GPU run at
``ci`` must be asked for (``DEVICE="cuda"``) and is then a run outside the calibration.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping

from geomem_utils.validate import ConfigError, ConfigTypeError, show

PROFILES = ("smoke", "ci", "full")
DEVICES = ("auto", "cpu", "cuda", "mps")
#: Profiles whose thresholds were calibrated on a CPU in float32: DEVICE="auto" means the
#: CPU there (a GPU trains in bf16 autocast, other numbers). Ask for cuda/mps explicitly.
CPU_PROFILES = ("smoke", "ci")


@dataclass(frozen=True)
class Spec:
    """How one parameter is typed, defaulted per profile and checked.

    ``default`` is either a single value for every profile or a dict ``{profile: value}``
    (a missing ``smoke`` entry falls back to ``ci``). ``rule`` is a predicate on the
    value and ``rule_text`` says it in words for the error message.
    """

    kind: type | tuple[type, ...]
    default: Any
    rule: Callable[[Any], bool] | None = None
    rule_text: str = ""
    help: str = ""
    choices: tuple[Any, ...] | None = None
    #: ``(lo, hi)`` of a numeric range rule (of each item, for a ``str`` list of integers), for
    #: readers and for the fuzz test's valid draws.
    bounds: tuple[float, float] | None = None

    def default_for(self, profile: str) -> Any:
        if isinstance(self.default, dict):
            if profile in self.default:
                return self.default[profile]
            if profile == "smoke" and "ci" in self.default:
                return self.default["ci"]
            raise KeyError(profile)
        return self.default


class ParameterError(ConfigError):
    """A notebook parameter was unknown, ill-typed or impossible."""


class ParameterTypeError(ParameterError, ConfigTypeError):
    """A notebook parameter had the wrong type."""


def _type_name(kind: type | tuple[type, ...]) -> str:
    if isinstance(kind, tuple):
        return " or ".join(k.__name__ for k in kind)
    return kind.__name__


def check_value(name: str, value: Any, spec: Spec) -> Any:
    """Return ``value`` converted to the type ``spec`` declares, or raise naming ``name``."""
    kinds = spec.kind if isinstance(spec.kind, tuple) else (spec.kind,)
    if isinstance(value, bool) and bool not in kinds:
        raise ParameterTypeError(f"parameter {name} must be {_type_name(spec.kind)}, got bool {value}")
    if not isinstance(value, kinds):
        if float in kinds and isinstance(value, int):
            try:
                value = float(value)
            except OverflowError:
                raise ParameterError(f"parameter {name} must be a finite number, got {show(value)}") from None
        else:
            raise ParameterTypeError(
                f"parameter {name} must be {_type_name(spec.kind)}, got {type(value).__name__} {show(value)}"
            )
    if isinstance(value, float) and not math.isfinite(value):
        raise ParameterError(f"parameter {name} must be a finite number, got {show(value)}")
    if spec.choices is not None and value not in spec.choices:
        raise ParameterError(f"parameter {name} must be one of {list(spec.choices)}, got {show(value)}")
    if spec.rule is not None:
        try:
            ok = bool(spec.rule(value))
        except (ArithmeticError, TypeError, ValueError) as err:  # a rule that cannot judge the value
            raise ParameterError(f"parameter {name} must be {spec.rule_text}, got {show(value)} ({err})") from None
        if not ok:
            raise ParameterError(f"parameter {name} must be {spec.rule_text}, got {show(value)}")
    return value


def positive_int(limit: int = 10**9) -> Callable[[Any], bool]:
    return lambda v: 1 <= v <= limit


def int_range(lo: int, hi: int) -> Spec:
    return integer(lo, lo, hi)


def integer(default: Any, lo: int, hi: int, help: str = "") -> Spec:
    """An ``int`` parameter in ``[lo, hi]`` (``default``: one value or ``{profile: value}``)."""
    return Spec(int, default, lambda v: lo <= v <= hi, f"an integer in [{lo}, {hi}]", help, bounds=(lo, hi))


def number(default: Any, lo: float, hi: float, help: str = "", *, open_lo: bool = False,
           open_hi: bool = False) -> Spec:
    """A ``float`` parameter in ``[lo, hi]`` (``open_lo``/``open_hi``: that end excluded); an int is taken."""
    def rule(v: float) -> bool:
        return (lo < v if open_lo else lo <= v) and (v < hi if open_hi else v <= hi)

    text = f"a number in {'(' if open_lo else '['}{lo:g}, {hi:g}{')' if open_hi else ']'}"
    return Spec(float, default, rule, text, help, bounds=(lo, hi))


def int_list(default: Any, lo: int, hi: int, help: str = "", most: int = 8) -> Spec:
    """A ``str`` parameter holding 1 to ``most`` comma-separated integers in ``[lo, hi]``
    (``"0,1,4"``); read it with :func:`parse_ints`."""
    def rule(text: str) -> bool:
        try:
            values = parse_ints(text)
        except ValueError:
            return False
        return 0 < len(values) <= most and all(lo <= v <= hi for v in values)

    return Spec(str, default, rule, f"comma-separated integers in [{lo}, {hi}], at most {most}", help,
                bounds=(lo, hi))


def parse_ints(text: str | None) -> list[int] | None:
    """``"20,40"`` -> ``[20, 40]``; ``None`` stays ``None``."""
    return None if text is None else [int(x) for x in text.split(",")]


COMMON: dict[str, Spec] = {
    "PROFILE": Spec(str, "ci", choices=PROFILES, help="smoke (seconds, checks off), ci (laptop CPU), full (paper, GPU)"),
    "SEED": Spec(int, 0, lambda v: 0 <= v < 2**31, "an integer in [0, 2**31)", help="the one seed of the run"),
    "DEVICE": Spec(str, "auto", choices=DEVICES,
                   help="where to train; auto: cpu at smoke/ci (their thresholds are calibrated on CPU float32), "
                        "else cuda, mps or cpu, the first available"),
    "RESULTS_DIR": Spec(str, "build/results", lambda v: len(v) > 0, "a non-empty path", help="results files go here"),
}


@dataclass(frozen=True)
class Params(Mapping[str, Any]):
    """Resolved parameters: read as ``P.DEGREE`` or ``P["DEGREE"]``; immutable."""

    values: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.values)


def resolve(
    given: Mapping[str, Any],
    specs: Mapping[str, Spec] | None = None,
    *,
    cross_checks: Callable[[dict[str, Any]], None] | None = None,
) -> Params:
    """Validate notebook parameters and fill profile defaults.

    ``given`` holds the parameter values (``None`` = profile default); names must be
    in ``COMMON`` or ``specs``. ``cross_checks`` may raise ``ParameterError`` for rules
    that involve several parameters (e.g. a split that leaves no held-out leaf).
    """
    all_specs = {**COMMON, **(specs or {})}
    unknown = sorted(set(given) - set(all_specs), key=str)
    if unknown:
        raise ParameterError(
            f"unknown parameter {unknown[0]!s}" + (f" (and {unknown[1:]})" if len(unknown) > 1 else "")
            + f"; known parameters: {sorted(all_specs)}"
        )
    profile = given.get("PROFILE") if given.get("PROFILE") is not None else COMMON["PROFILE"].default
    profile = check_value("PROFILE", profile, COMMON["PROFILE"])
    out: dict[str, Any] = {}
    for name, spec in all_specs.items():
        value = given.get(name)
        if value is None:
            try:
                value = spec.default_for(profile)
            except KeyError:
                raise ParameterError(
                    f"parameter {name} has no default for profile {profile!r}; give it a value"
                ) from None
        out[name] = None if value is None else check_value(name, value, spec)
    if out.get("DEVICE") == "auto" and profile in CPU_PROFILES:
        out["DEVICE"] = "cpu"  # the profile's device: see CPU_PROFILES
    if cross_checks is not None:
        cross_checks(out)
    return Params(out)


def mps_available() -> bool:
    import torch

    return bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())


def pick_device(device: str, profile: str | None = None) -> str:
    """The device a run trains on, or a ``ParameterError`` naming ``DEVICE``.

    ``auto`` -> ``cpu`` at the ``smoke``/``ci`` profiles (their thresholds were calibrated on
    CPU float32), else ``cuda``, then ``mps`` (Apple GPUs), then ``cpu``, the first available.
    ``cuda`` or ``mps`` where it is not available is an error, not a silent fall-back.
    """
    import torch

    if device == "auto":
        if profile in CPU_PROFILES:
            return "cpu"
        return "cuda" if torch.cuda.is_available() else "mps" if mps_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise ParameterError("parameter DEVICE is 'cuda' but no CUDA device is available")
    if device == "mps" and not mps_available():
        raise ParameterError("parameter DEVICE is 'mps' but torch.backends.mps is not available "
                             "(an Apple-silicon Mac with a torch built for MPS)")
    if device not in DEVICES[1:]:
        raise ParameterError(f"parameter DEVICE must be one of {list(DEVICES)}, got {device!r}")
    return device
