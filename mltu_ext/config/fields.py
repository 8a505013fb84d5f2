"""Build config dataclasses from plain values with their field types checked, and set one field by path.

``build`` is what ``TrainConfig.from_dict`` (and so ``config.json`` and
``train.py --config``) uses; ``set_field`` is what ``train.py --set
augment.shear=0.5`` and the common flags use. Both convert text and JSON values
to the field's declared type and raise ``ConfigError`` naming the field, so a
typo or a wrong type never reaches training.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import types
import typing
from typing import Any

from mltu_ext.errors import ConfigError

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def build(kind: type, values: Any, where: str, **extra: Any) -> Any:
    """``kind(**values, **extra)`` with unknown fields refused and every value converted to its type."""
    if not isinstance(values, dict):
        raise ConfigError(f"{where}: expected an object of fields, got {type(values).__name__}")
    hints = typing.get_type_hints(kind)
    names = {f.name for f in dataclasses.fields(kind)}
    unknown = sorted(set(values) - names)
    if unknown:
        raise ConfigError(f"{where} has unknown fields: {', '.join(unknown)}")
    converted = {name: convert(value, hints[name], f"{where}.{name}") for name, value in values.items()}
    return kind(**converted, **extra)


def set_field(cfg: Any, path: str, value: Any) -> None:
    """Set ``cfg``'s field at the dotted ``path`` (``augment.shear``) to ``value`` converted to its type."""
    *parents, name = path.split(".")
    target = cfg
    for depth, part in enumerate(parents):
        if not dataclasses.is_dataclass(target):
            raise ConfigError(f"--set {path}: {'.'.join(parents[:depth])} is a value, not a section")
        if not hasattr(target, part):
            raise ConfigError(f"--set {path}: no config section {part!r}{_did_you_mean(cfg, path)}")
        target = getattr(target, part)
    if not dataclasses.is_dataclass(target):
        raise ConfigError(f"--set {path}: {'.'.join(parents)} is a value, not a section")
    fields = {f.name for f in dataclasses.fields(target)}
    if name not in fields:
        known = ", ".join(sorted(fields))
        raise ConfigError(
            f"--set {path}: unknown field {name!r}{_did_you_mean(cfg, path)} (fields here: {known})"
        )
    hint = typing.get_type_hints(type(target))[name]
    if dataclasses.is_dataclass(hint):
        raise ConfigError(f"--set {path}: a section; set one of its fields, e.g. {path}.<field>=VALUE")
    setattr(target, name, convert(value, hint, path))


def field_paths(cfg: Any, prefix: str = "") -> list[str]:
    """Every settable field of ``cfg`` as a dotted path (``epochs``, ``model.height``, ...)."""
    paths = []
    for item in dataclasses.fields(cfg):
        value = getattr(cfg, item.name)
        if dataclasses.is_dataclass(value):
            paths.extend(field_paths(value, f"{prefix}{item.name}."))
        else:
            paths.append(prefix + item.name)
    return paths


def _did_you_mean(cfg: Any, path: str) -> str:
    """``"; did you mean model.height?"`` for a path that names no field but is close to one, else ``""``.

    A field of a section given without it (``lstm_units``) is found by its name; a
    misspelt field or section (``model.hieght``, ``modle.height``) by the closest path.
    """
    paths = field_paths(cfg)
    name = path.rsplit(".", 1)[-1]
    same_name = [p for p in paths if p.rsplit(".", 1)[-1] == name]
    close = same_name or difflib.get_close_matches(path, paths, n=1, cutoff=0.75)
    if not close:  # a near name in the section the path names (learningrate, lstm_unit)
        section = path.rsplit(".", 1)[0] + "." if "." in path else ""
        names = [p.removeprefix(section) for p in paths if p.startswith(section)]
        close = [section + m for m in difflib.get_close_matches(name, names, n=1, cutoff=0.6)]
    return f"; did you mean {close[0]}?" if len(close) == 1 else ""


def parse_assignment(text: str) -> tuple[str, Any]:
    """``"augment.shear=0.5"`` -> ``("augment.shear", "0.5")``; JSON values are read as JSON."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"--set {text!r}: expected FIELD=VALUE, e.g. augment.shear=0.5")
    raw = raw.strip()
    try:
        value: Any = json.loads(raw)
    except json.JSONDecodeError:
        value = raw  # plain text: a string, or a bool/number spelt another way
    return key.strip(), value


def convert(value: Any, hint: Any, where: str) -> Any:
    """``value`` as type ``hint`` (int, float, bool, str, tuples, dicts, unions with None)."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(hint)
        if value is None or (isinstance(value, str) and value.lower() in ("none", "null")):
            if type(None) in options:
                return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return convert(value, option, where)
            except ConfigError as error:
                errors.append(str(error))
        raise ConfigError(errors[0] if len(errors) == 1 else f"{where}={value!r}: not a {_name(hint)}")
    if origin is tuple:
        return _convert_tuple(value, typing.get_args(hint), where)
    if origin is dict or hint is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where}={value!r}: expected an object")
        return dict(value)
    if dataclasses.is_dataclass(hint):
        return value if isinstance(value, hint) else build(hint, value, where)
    if hint is typing.Any:
        return value
    if hint is bool:
        return _convert_bool(value, where)
    if hint is int:
        return _convert_number(value, int, where)
    if hint is float:
        return _convert_number(value, float, where)
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where}={value!r}: expected text")
        return value
    if isinstance(hint, type) and isinstance(value, hint):
        return value
    if typing.get_origin(hint) is typing.Literal:
        if value in typing.get_args(hint):
            return value
        choices = ", ".join(repr(a) for a in typing.get_args(hint))
        raise ConfigError(f"{where}={value!r}: use one of {choices}")
    raise ConfigError(f"{where}={value!r}: expected {_name(hint)}")


def _convert_tuple(value: Any, args: tuple, where: str) -> tuple:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as error:
            raise ConfigError(f"{where}={value!r}: expected a JSON list, e.g. [16, 32]") from error
    if not isinstance(value, list | tuple):
        raise ConfigError(f"{where}={value!r}: expected a list")
    if len(args) == 2 and args[1] is Ellipsis:
        return tuple(convert(v, args[0], f"{where}[{i}]") for i, v in enumerate(value))
    if len(value) != len(args):
        raise ConfigError(f"{where}={value!r}: expected {len(args)} entries")
    return tuple(convert(v, a, f"{where}[{i}]") for i, (v, a) in enumerate(zip(value, args, strict=True)))


def _convert_bool(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in _TRUE | _FALSE:
        return value.lower() in _TRUE
    raise ConfigError(f"{where}={value!r}: expected true or false")


def _convert_number(value: Any, kind: type, where: str) -> int | float:
    if isinstance(value, bool):
        raise ConfigError(f"{where}={value!r}: expected a number")
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as error:
            raise ConfigError(f"{where}={value!r}: expected a number") from error
    if kind is int:
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            raise ConfigError(f"{where}={value!r}: expected a whole number")
        return value
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise ConfigError(f"{where}={value!r}: expected a number")
    return float(value)


def _name(hint: Any) -> str:
    return getattr(hint, "__name__", str(hint))
