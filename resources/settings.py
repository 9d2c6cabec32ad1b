"""The settings file: every dataset and every named hyperparameter setting, in one place.

A *setting* is a named point in hyperparameter space (``gcn``, ``sage-h256``); the
partition keys of the asset graph are read from this file, so a sweep is an edit here.
"""
from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

import yaml
from dagster import ConfigurableResource
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from resources.home import REPO_ROOT

# $GRAPHDISTILL_SETTINGS points a deployment (or a test) at another settings file.
DEFAULT_SETTINGS = Path(os.environ.get("GRAPHDISTILL_SETTINGS", REPO_ROOT / "settings.yaml"))


class SettingError(ValueError):
    """An unknown or invalid setting; the message names it and lists what is allowed."""


class TeacherSetting(BaseModel):
    """A teacher: a registered ``model`` with its ``params``, the ``train`` config and a seed."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    model: str
    params: dict[str, Any] = Field(default_factory=dict)
    train: dict[str, Any] = Field(default_factory=dict)
    seed: int = 0

    def validated(self, key: str) -> tuple[BaseModel, Any]:
        """The model's typed config and the ``TrainConfig``; errors name the setting ``key``."""
        from kernels.evaluate import TrainConfig
        from kernels.models import model_config

        try:
            return model_config(self.model, self.params), TrainConfig(**self.train)
        except (ValueError, ValidationError) as err:
            raise SettingError(f"teacher setting {key!r}: {err}") from err


class StudentSetting(BaseModel):
    """A student: a registered distillation ``method``, the ``teacher`` setting it learns from,
    and the method's ``params``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    method: str
    teacher: str
    params: dict[str, Any] = Field(default_factory=dict)

    def validated(self, key: str) -> Any:
        from kernels.students.registry import student_config

        try:
            return student_config(self.method, self.params)
        except ValueError as err:
            raise SettingError(f"student setting {key!r}: {err}") from err


class CondensationSetting(BaseModel):
    """A condensed graph: a registered condenser ``method`` and its ``params`` (``ratio``, ...)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    method: str
    params: dict[str, Any] = Field(default_factory=dict)

    def validated(self, key: str) -> Any:
        from kernels.condense import condenser_config

        try:
            return condenser_config(self.method, self.params)
        except ValueError as err:
            raise SettingError(f"condensation setting {key!r}: {err}") from err


class CondensationEvaluation(BaseModel):
    """The evaluation protocol of condensed graphs: ``archs`` trained on the condensed graph
    (the first is the headline), ``seeds`` runs each, ``epochs`` per run."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    archs: list[str] = Field(default_factory=lambda: ["gcn", "sgc", "appnp", "sage", "gat", "mlp"], min_length=1)
    seeds: int = Field(5, ge=1)
    epochs: int = Field(600, ge=1)


class GraphDistillationSetting(BaseModel):
    """A distilled graph-classification training set: a graph condenser ``method`` and ``params``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    method: str
    params: dict[str, Any] = Field(default_factory=dict)

    def validated(self, key: str) -> Any:
        from kernels.graph_condense import graph_condenser_config

        try:
            return graph_condenser_config(self.method, self.params)
        except ValueError as err:
            raise SettingError(f"graph distillation setting {key!r}: {err}") from err


class GraphDistillationEvaluation(BaseModel):
    """Graph-level protocol: ``archs`` trained on each split seed's distilled set, ``seeds``
    stratified 80/10/10 splits, ``epochs`` per run; every seed is reported."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    archs: list[str] = Field(default_factory=lambda: ["gin", "gcn", "gat"], min_length=1)
    seeds: int = Field(10, ge=1)
    epochs: int = Field(100, ge=1)


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    datasets: dict[str, dict[str, Any]]
    teachers: dict[str, TeacherSetting]
    students: dict[str, StudentSetting] = Field(default_factory=dict)
    condensation: dict[str, CondensationSetting] = Field(default_factory=dict)
    condensation_evaluation: CondensationEvaluation = CondensationEvaluation()
    graph_datasets: dict[str, dict[str, Any]] = Field(default_factory=dict)
    graph_distillation: dict[str, GraphDistillationSetting] = Field(default_factory=dict)
    graph_distillation_evaluation: GraphDistillationEvaluation = GraphDistillationEvaluation()

    def model_post_init(self, _: Any) -> None:
        for key, student in self.students.items():
            if student.teacher not in self.teachers:
                raise SettingError(f"student setting {key!r} names teacher {student.teacher!r}; "
                                   f"choose one of {sorted(self.teachers)}")

    def dataset(self, name: str) -> dict[str, Any]:
        if name not in self.datasets:
            raise SettingError(f"unknown dataset {name!r}; choose one of {sorted(self.datasets)}")
        return self.datasets[name]

    def teacher(self, key: str) -> TeacherSetting:
        if key not in self.teachers:
            raise SettingError(f"unknown teacher setting {key!r}; choose one of {sorted(self.teachers)}")
        setting = self.teachers[key]
        setting.validated(key)
        return setting

    def condensation_setting(self, key: str) -> CondensationSetting:
        if key not in self.condensation:
            raise SettingError(f"unknown condensation setting {key!r}; choose one of {sorted(self.condensation)}")
        setting = self.condensation[key]
        setting.validated(key)
        return setting

    def graph_dataset(self, name: str) -> dict[str, Any]:
        if name not in self.graph_datasets:
            raise SettingError(f"unknown graph dataset {name!r}; choose one of {sorted(self.graph_datasets)}")
        return self.graph_datasets[name]

    def graph_distillation_setting(self, key: str) -> GraphDistillationSetting:
        if key not in self.graph_distillation:
            raise SettingError(f"unknown graph distillation setting {key!r}; "
                               f"choose one of {sorted(self.graph_distillation)}")
        setting = self.graph_distillation[key]
        setting.validated(key)
        return setting

    def student(self, key: str) -> StudentSetting:
        if key not in self.students:
            raise SettingError(f"unknown student setting {key!r}; choose one of {sorted(self.students)}")
        setting = self.students[key]
        setting.validated(key)
        return setting


def parse_settings(text: str, source: str = "<text>") -> Settings:
    try:
        return Settings(**(yaml.safe_load(text) or {}))
    except (yaml.YAMLError, ValidationError, TypeError, SettingError) as err:
        raise SettingError(f"settings file {source} is invalid: {err}") from err


@functools.cache
def load_settings(path: str | Path = DEFAULT_SETTINGS) -> Settings:
    path = Path(path)
    if not path.exists():
        raise SettingError(f"settings file {str(path)!r} does not exist")
    return parse_settings(path.read_text(), str(path))


class SettingsStore(ConfigurableResource):
    """Resolves partition keys to validated settings, read from ``path`` (YAML)."""

    path: str = str(DEFAULT_SETTINGS)

    def settings(self) -> Settings:
        return load_settings(self.path)

    def dataset(self, name: str) -> dict[str, Any]:
        return self.settings().dataset(name)

    def teacher(self, key: str) -> TeacherSetting:
        return self.settings().teacher(key)

    def student(self, key: str) -> StudentSetting:
        return self.settings().student(key)

    def condensation(self, key: str) -> CondensationSetting:
        return self.settings().condensation_setting(key)

    def graph_distillation(self, key: str) -> GraphDistillationSetting:
        return self.settings().graph_distillation_setting(key)
