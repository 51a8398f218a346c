"""Settings as typed dataclass fields: read a value given as text, and name the closest known
setting when a name is wrong.

Every group of settings in the kit is a dataclass (`DistillConfig`, `TeacherConfig`, each
method's `Settings`); the command line's `--set name=value` and the recipes go through
`coerce` to turn a value into the field's declared type, so a wrong value is refused with one
line before any work starts.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import math
import types
import typing

from ..errors import UserError


def field_types(cls) -> dict[str, object]:
    """{field name: resolved type annotation} of a dataclass."""
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


def closest(name: str, choices) -> str:
    """' (did you mean X?)' for the known name nearest to `name`, or ''."""
    match = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""


def coerce(name: str, value, annotation):
    """`value` (possibly text from the command line) as the type `annotation` declares.

    Understands bool, int, float, str, tuple, dict (or a JSON object), None-able types and
    "a | b" unions of those; floats must be finite. Raises a one-line UserError naming the
    setting and the type.
    """
    options = typing.get_args(annotation) if _is_union(annotation) else (annotation,)
    if value is None or (isinstance(value, str) and value.lower() == "none"):
        if type(None) in options:
            return None
    errors = []
    for option in (o for o in options if o is not type(None)):
        try:
            return _as(option, value)
        except (TypeError, ValueError) as e:
            errors.append(str(e))
    names = " or ".join(getattr(o, "__name__", str(o)) for o in options)
    raise UserError(f"setting {name!r} must be {names}, not {value!r}")


def _is_union(annotation) -> bool:
    return typing.get_origin(annotation) in (typing.Union, types.UnionType)


def _as(kind, value):
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "1", "yes", "on"):
            return True
        if isinstance(value, str) and value.lower() in ("false", "0", "no", "off"):
            return False
        raise ValueError("not a bool")
    if kind is int:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ValueError("not an int")
        return int(value)
    if kind is float:
        if isinstance(value, bool):
            raise ValueError("not a float")
        number = float(value)
        if not math.isfinite(number):
            raise ValueError("not finite")
        return number
    if kind is str:
        if not isinstance(value, str):
            raise ValueError("not a str")
        return value
    if kind is tuple or typing.get_origin(kind) is tuple:
        if isinstance(value, str):
            for bracket in "()[]":  # "(0.6, 0.85)", "[0.6,0.85]", "0.6,0.85", "()", "[]"
                value = value.replace(bracket, "")
            value = [v for v in value.split(",") if v.strip()]
        return tuple(float(v) for v in value)
    if kind is dict or typing.get_origin(kind) is dict:
        if isinstance(value, str) and value.strip().startswith("{"):  # JSON, from --set
            value = json.loads(value)
        if not isinstance(value, dict):
            raise ValueError("not a dict")
        return value
    raise TypeError(f"unsupported setting type {kind!r}")


_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text) -> float:
    """Seconds from "90", "90s", "6m", "1.5h" (a number alone is seconds); a one-line
    UserError for anything else or a negative duration."""
    value = str(text).strip().lower()
    unit = _UNITS.get(value[-1:], None) if value else None
    try:
        seconds = float(value[:-1] if unit else value) * (unit or 1.0)
    except ValueError:
        raise UserError(f"a duration is a number of seconds or one with s, m or h (90s, 6m, "
                        f"1.5h), not {text!r}") from None
    if seconds < 0 or seconds != seconds:
        raise UserError(f"a duration must be >= 0, not {text!r}")
    return seconds
