"""Further seeds of a teacher or student setting, retrained for a report measured over seeds.

A partition's artifact is one trained model, at its setting's own seed. A report asked for
``seeds: N`` scores that artifact and retrains the setting at the N - 1 following seeds
through the same kernels the ``teacher`` and ``student`` assets call, so a benchmark is a
backfill of report partitions and the leaderboard's mean ± std is over those seeds.
Within one process trainings are shared: the students of one teacher at one seed distil
from one teacher, as the student benchmark always did.
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING

from dagster import Config
from pydantic import Field

from resources.device import TorchDevice
from resources.settings import SettingsStore, TeacherSetting

if TYPE_CHECKING:
    from kernels.evaluate import TrainedModel

# Recent trainings of this process by (kind, data hash, setting, seed, device): a backfill
# visits the students of one dataset and seed together, and the unlearning reports of one
# request share a teacher and a retrain reference per seed.
_TRAINED: OrderedDict[tuple, TrainedModel] = OrderedDict()
_KEEP = 32


class ReportSeedsConfig(Config):
    """How many seeds a report measures: the materialized model (its setting's seed) and
    retrainings at the ``seeds - 1`` following seeds. One row per metric and seed."""

    seeds: int = Field(1, ge=1)


def _shared(key: tuple, train: Callable[[], TrainedModel]) -> TrainedModel:
    if key in _TRAINED:
        _TRAINED.move_to_end(key)
        return _TRAINED[key]
    _TRAINED[key] = trained = train()
    while len(_TRAINED) > _KEEP:
        _TRAINED.popitem(last=False)
    return trained


def train_teacher(dataset, condensed, key: str, setting: TeacherSetting, *, seed: int, device,
                  log: Callable[[str], None]) -> TrainedModel:
    """Teacher setting ``key`` trained at ``seed``: on the real graph (after self-supervised
    pretraining where the setting has ``pretrain`` params), or on ``condensed`` (the
    ``condensed_graph`` partition its setting names). Metrics add ``train_graph_bytes``, the
    size of the graph it trained on, which chain reports compare."""
    from kernels.evaluate import train_node_classifier
    from kernels.evaluate.condensed import train_on_condensed
    from kernels.pretrain import train_pretrained_teacher

    _, train_cfg = setting.validated(key)
    if setting.condensed:
        if condensed is None:
            raise ValueError(f"teacher setting {key!r} trains on condensed graph {setting.condensed!r}, "
                             f"which was not loaded; materialize condensed_graph for it first")
        return train_on_condensed(condensed, dataset, setting.model, setting.params, train_cfg, seed=seed,
                                  device=device, log=log)
    if setting.pretrain is not None:
        trained = train_pretrained_teacher(setting.model, setting.params, setting.pretrain, dataset, train_cfg,
                                           seed=seed, device=device, log=log)
    else:
        trained = train_node_classifier(setting.model, setting.params, dataset, train_cfg, seed=seed, device=device,
                                        log=log)
    trained.metrics["train_graph_bytes"] = float(sum(t.element_size() * t.numel()
                                                     for t in (dataset.x, dataset.edge_index)))
    return trained


def teacher_at_seed(dataset, condensed, key: str, settings: SettingsStore, device: TorchDevice, offset: int,
                    log: Callable[[str], None]) -> TrainedModel:
    """Teacher setting ``key`` trained at its seed + ``offset`` (shared within the process)."""
    from kernels.data.stats import content_hash
    from kernels.evaluate import measure

    setting = settings.teacher(key)
    seed = setting.seed + device.seed + offset

    def train() -> TrainedModel:
        with device.scope(setting.seed + offset) as dev, measure(dev) as run:
            trained = train_teacher(dataset, condensed, key, setting, seed=seed, device=dev, log=log)
        trained.run = run.metadata() | {"seed": seed}
        return trained

    return _shared(("teacher", content_hash(dataset), setting.model_dump_json(), seed, device.kind), train)


def student_at_seed(dataset, teacher: TrainedModel, condensed, key: str, settings: SettingsStore,
                    device: TorchDevice, offset: int, log: Callable[[str], None]) -> TrainedModel:
    """Student setting ``key`` distilled at its seed + ``offset`` (>= 1) from its teacher at the
    same offset (inductive students: the teacher retrained on that seed's observed graph, so
    ``teacher``, the materialized one, only names the model; a chain's teacher: retrained on
    ``condensed``). Metrics add ``mlp_test_acc``."""
    from kernels.data.stats import content_hash
    from kernels.evaluate import measure
    from kernels.students import distill
    from kernels.students.inductive import train_observed_teacher

    setting = settings.student(key)
    cfg = setting.validated(key)
    seed = cfg.seed + device.seed + offset
    with device.scope(cfg.seed + offset) as dev:
        if cfg.mode == "inductive":
            teacher_setting = settings.teacher(setting.teacher)
            _, teacher_train = teacher_setting.validated(setting.teacher)
            observed = _shared(
                ("observed", content_hash(dataset), teacher_setting.model_dump_json(), cfg.inductive_fraction,
                 seed, device.kind),
                lambda: train_observed_teacher(teacher_setting.model, teacher_setting.params, teacher_train, dataset,
                                               cfg.inductive_fraction, seed, device=dev, log=log))
        else:
            observed = None
            teacher = teacher_at_seed(dataset, condensed, setting.teacher, settings, device, offset, log)
        with measure(dev) as run:
            student = distill(setting.method, setting.params | {"seed": seed}, dataset, teacher, device=dev,
                              log=log, observed_teacher=observed)
    student.metrics["mlp_test_acc"] = plain_mlp_test_acc(dataset, cfg, seed, device, log)
    student.run = run.metadata() | {"seed": seed, "teacher": setting.teacher}
    return student


def plain_mlp_test_acc(dataset, cfg, seed: int, device: TorchDevice, log: Callable[[str], None]) -> float:
    """Test accuracy of an MLP of the student's size and training trained on labels alone, at
    ``seed``: what distillation adds is the student's accuracy minus this."""
    from kernels.data.stats import content_hash
    from kernels.evaluate import TrainConfig, train_node_classifier

    params = {"hidden": cfg.hidden, "layers": cfg.layers, "dropout": cfg.dropout}
    train_cfg = TrainConfig(**cfg.train)

    def train() -> TrainedModel:
        with device.scope(seed - device.seed) as dev:
            return train_node_classifier("mlp", params, dataset, train_cfg, seed=seed, device=dev, log=log)

    key = ("mlp", content_hash(dataset), repr(sorted(params.items())), train_cfg.model_dump_json(), seed, device.kind)
    return _shared(key, train).metrics["test_acc"]


def unlearned_at_seed(dataset, teacher: TrainedModel, request, key: str, settings: SettingsStore, device: TorchDevice,
                      offset: int, log: Callable[[str], None]) -> TrainedModel:
    """Unlearning setting ``key`` applied at seed ``device.seed + offset`` to its teacher at the
    same offset (``teacher``, the materialized one, serves offset 0); shared within the
    process, so the ``retrain`` reference of several methods is trained once per seed."""
    from kernels.data.stats import content_hash
    from kernels.unlearning import unlearn

    setting = settings.unlearning(key)
    if offset:
        teacher = teacher_at_seed(dataset, None, setting.teacher, settings, device, offset, log)
    seed = device.seed + offset

    def train() -> TrainedModel:
        with device.scope(offset) as dev:
            model = unlearn(setting.method, setting.params, teacher, dataset, request, seed=seed, device=dev, log=log)
        model.run = {"seed": seed, "device": str(dev), "wall_time_s": model.metrics["seconds"]}
        return model

    return _shared(("unlearned", content_hash(dataset), setting.model_dump_json(), seed, device.kind), train)
