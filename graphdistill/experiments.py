"""One experiment from command-line words: a setting entry, its readable name, its partition.

``graphdistill condense cora clustgdd --ratio 0.3`` asks for the condensation setting
``{method: clustgdd, params: {ratio: 0.3}}``. If ``settings.yaml`` (or the user overlay)
already holds that entry under some name, the experiment is that partition; otherwise the
entry is added to the overlay under a name built from what differs from the method's
configured base (``clustgdd-r0.3``, ``gat-h16``, ``glnn-sage-js-t2``). Parameters are checked
against the method's typed config first, so a typo names the closest real parameter.
"""
from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from resources.settings import (
    CondensationSetting,
    Settings,
    ScopedSetting,
    SettingError,
    StudentSetting,
    TeacherSetting,
    add_user_setting,
)

# How a parameter reads inside a generated setting name ("" keeps just the value).
ABBREVIATIONS = {"ratio": "r", "hidden": "h", "temperature": "t", "epochs": "e", "dropout": "d",
                 "weight_decay": "wd", "patience": "p", "kd_loss": "", "mode": "", "tokenizer_norm": ""}
VALUE_NAMES = {"inductive": "ind", "transductive": "tran"}


class UsageError(ValueError):
    """A command-line value that names nothing valid; the message lists what is."""


def choose(value: str, choices: Sequence[str], what: str) -> str:
    """``value`` if it is one of ``choices``, else a ``UsageError`` naming the closest ones."""
    if value in choices:
        return value
    close = difflib.get_close_matches(value, list(choices), n=3, cutoff=0.5)
    hint = f"did you mean {', '.join(map(repr, close))}? " if close else ""
    raise UsageError(f"unknown {what} {value!r}; {hint}choose one of: {', '.join(choices)}")


def describe_config(config_cls: type[BaseModel]) -> list[str]:
    """``name=default (constraints)`` for every field of a typed config."""
    lines = []
    for name, field in config_cls.model_fields.items():
        default = "required" if field.is_required() else repr(field.get_default(call_default_factory=True))
        bounds = ", ".join(_bound(m) for m in field.metadata)
        lines.append(f"{name}={default}{f' ({bounds})' if bounds else ''}")
    return lines


def _bound(constraint: Any) -> str:
    """``Gt(gt=0)`` as ``>0``: the pydantic constraint a user reads in ``graphdistill list``."""
    for attr, sign in (("gt", ">"), ("ge", "≥"), ("lt", "<"), ("le", "≤"), ("min_length", "len≥")):
        if hasattr(constraint, attr):
            return f"{sign}{getattr(constraint, attr)}"
    return str(constraint)


@dataclass(frozen=True)
class Experiment:
    """A setting of ``section`` named ``key`` on ``dataset``; ``added`` when it is new."""

    section: str
    dataset: str
    key: str
    entry: dict[str, Any]
    added: bool

    @property
    def partition(self) -> str:
        return f"{self.dataset}|{self.key}"


def _flat(params: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, dict):
            out |= _flat(value, f"{prefix}{key}.")
        else:
            out[f"{prefix}{key}"] = value
    return out


def _name(base: str, params: dict[str, Any], base_params: dict[str, Any]) -> str:
    before, parts = _flat(base_params), []
    for key, value in sorted(_flat(params).items()):
        if before.get(key, object()) == value:
            continue
        leaf = key.rsplit(".", 1)[-1]
        shown = f"{value:g}" if isinstance(value, float) else VALUE_NAMES.get(str(value), str(value))
        parts.append(f"{ABBREVIATIONS.get(leaf, leaf.replace('_', ''))}{shown}")
    return "-".join([base, *parts])


def _check_params(params: dict[str, Any], allowed: Sequence[str], what: str) -> None:
    for name in params:
        choose(name, list(allowed), f"parameter of {what}")


def _register(settings: Settings, section: str, model: type[ScopedSetting], dataset: str, name: str,
              entry: dict[str, Any]) -> Experiment:
    """The configured key of an identical entry that applies to ``dataset``, or ``name`` (made
    unique) added to the overlay."""
    choose(dataset, list(settings.datasets), "dataset")
    candidate = model(**entry)
    table: dict[str, ScopedSetting] = getattr(settings, section)
    for key, existing in table.items():
        if existing.same_as(candidate) and settings.applies(section, dataset, key):
            return Experiment(section, dataset, key, entry, added=False)
    unique, n = name, 2
    while unique in table:
        unique, n = f"{name}-v{n}", n + 1
    candidate.validated(unique)  # the method's typed config: ranges and types
    add_user_setting(section, unique, entry)
    return Experiment(section, dataset, unique, entry, added=True)


def condense_experiment(settings: Settings, dataset: str, method: str, params: dict[str, Any]) -> Experiment:
    from kernels.condense import CONDENSERS

    choose(method, CONDENSERS.names(), "condenser")
    _check_params(params, list(CONDENSERS.get(method).config_cls.model_fields), f"condenser {method!r}")
    entry = {"method": method, "params": params}
    return _register(settings, "condensation", CondensationSetting, dataset, _name(method, params, {}), entry)


def train_experiment(settings: Settings, dataset: str, model: str, params: dict[str, Any]) -> Experiment:
    """A teacher: model parameters and ``TrainConfig`` fields (lr, epochs, ...) in one flat
    ``params``, on top of the configured teacher of the same name if there is one."""
    from kernels.evaluate import TrainConfig
    from kernels.models import MODELS

    choose(model, MODELS.names(), "model")
    model_fields, train_fields = list(MODELS.get(model).config_cls.model_fields), list(TrainConfig.model_fields)
    _check_params(params, model_fields + train_fields + ["seed"], f"teacher {model!r}")
    base = settings.teachers[model].model_dump() if model in settings.teachers else {"model": model}
    entry = {"model": model, "params": dict(base.get("params", {})), "train": dict(base.get("train", {})),
             "seed": base.get("seed", 0)}
    for key, value in params.items():
        if key == "seed":
            entry["seed"] = value
        else:
            entry["train" if key in train_fields else "params"][key] = value
    name = _name(model, entry, base | {"model": model})
    return _register(settings, "teachers", TeacherSetting, dataset, name, entry)


def distil_experiment(settings: Settings, dataset: str, method: str, teacher: str,
                      params: dict[str, Any]) -> Experiment:
    """A student of ``method`` learning from teacher setting ``teacher``, on top of the
    configured ``<method>-<teacher>`` setting when there is one (its tuned defaults)."""
    from kernels.evaluate import TrainConfig
    from kernels.students import STUDENTS

    choose(method, STUDENTS.names(), "student method")
    choose(teacher, list(settings.teachers), "teacher setting")
    fields, train_fields = list(STUDENTS.get(method).config_cls.model_fields), list(TrainConfig.model_fields)
    _check_params(params, fields + train_fields, f"student method {method!r}")
    base_key = f"{method}-{teacher}"
    base = settings.students[base_key].params if base_key in settings.students else {}
    merged = dict(base)
    for key, value in params.items():
        if key in train_fields and key not in fields:
            merged["train"] = {**merged.get("train", {}), key: value}
        else:
            merged[key] = value
    entry = {"method": method, "teacher": teacher, "params": merged}
    return _register(settings, "students", StudentSetting, dataset, _name(base_key, merged, base), entry)


def parse_params(tokens: Sequence[str]) -> dict[str, Any]:
    """``--name value`` pairs (values read as YAML: numbers, booleans, lists) into a dict."""
    import yaml

    params: dict[str, Any] = {}
    tokens = list(tokens)
    while tokens:
        flag = tokens.pop(0)
        if not flag.startswith("--") or not tokens:
            raise UsageError(f"expected '--name value' pairs of method parameters, got {flag!r}")
        params[flag[2:].replace("-", "_")] = yaml.safe_load(tokens.pop(0))
    return params


__all__ = ["Experiment", "SettingError", "UsageError", "choose", "condense_experiment", "describe_config",
           "distil_experiment", "parse_params", "train_experiment"]
