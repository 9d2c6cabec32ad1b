"""Asset checks: each asks one question whose failure is a real fault in the data or model.

The checks of ``dataset``, ``teacher``, ``student`` and ``condensed_graph`` need the asset's
value, so they run inside the asset's own step (``check_specs`` on the asset, results
yielded from its body): no process of their own, no second load of the artifact. Each check
is a plain function of the value, so tests call it directly.
"""

import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    PartitionsDefinition,
    build_last_update_freshness_checks,
    build_sensor_for_freshness_checks,
)

from dg_assets.partitions import dataset_partitions, dataset_x_condensation, dataset_x_student, dataset_x_teacher
from resources.device import TorchDevice
from resources.settings import SettingsStore


@dataclass(frozen=True)
class InStepChecks:
    """The checks an asset evaluates in its own step: their specs for ``@asset(check_specs=...)``
    and their results for the body to yield. Every check takes the asset's value first."""

    asset: str
    partitions_def: PartitionsDefinition
    checks: tuple[Callable[..., AssetCheckResult], ...]
    blocking: bool

    @property
    def specs(self) -> list[AssetCheckSpec]:
        return [AssetCheckSpec(check.__name__, asset=self.asset, blocking=self.blocking,
                               partitions_def=self.partitions_def, description=(check.__doc__ or "").strip())
                for check in self.checks]

    def results(self, value, **inputs) -> Iterator[AssetCheckResult]:
        """Each check on ``value``, given those of ``inputs`` (the step's other inputs and
        resources) that its signature names."""
        for check in self.checks:
            wanted = {k: v for k, v in inputs.items() if k in inspect.signature(check).parameters}
            result = check(value, **wanted)
            yield AssetCheckResult(check_name=check.__name__, passed=result.passed, metadata=result.metadata,
                                   severity=result.severity, description=result.description)


# The teacher setting every GNN and student is measured against.
PLAIN_MLP = "mlp"


def splits_are_disjoint(dataset) -> AssetCheckResult:
    """No node is in two of train / val / test, and every split is non-empty."""
    overlap = int((dataset.train_mask & dataset.val_mask).sum() + (dataset.train_mask & dataset.test_mask).sum()
                  + (dataset.val_mask & dataset.test_mask).sum())
    sizes = {k: int(dataset[f"{k}_mask"].sum()) for k in ("train", "val", "test")}
    return AssetCheckResult(passed=overlap == 0 and min(sizes.values()) > 0,
                            metadata={"overlapping_nodes": overlap, **sizes})


def labels_in_range(dataset) -> AssetCheckResult:
    """Labels are integers in [0, num_classes) and every class has training nodes."""
    y = dataset.y
    num_classes = int(y.max()) + 1
    in_range = bool((y >= 0).all())
    train_classes = int(y[dataset.train_mask].unique().numel())
    return AssetCheckResult(passed=in_range and train_classes == num_classes,
                            metadata={"num_classes": num_classes, "classes_in_train": train_classes,
                                      "min_label": int(y.min())})


def features_are_finite(dataset) -> AssetCheckResult:
    """No NaN or infinite feature value."""
    import torch

    bad = int((~torch.isfinite(dataset.x)).sum())
    return AssetCheckResult(passed=bad == 0, metadata={"non_finite_values": bad})


def edges_in_range(dataset) -> AssetCheckResult:
    """Every edge endpoint is a valid node index."""
    ei = dataset.edge_index
    bad = int(((ei < 0) | (ei >= dataset.num_nodes)).any(dim=0).sum())
    return AssetCheckResult(passed=bad == 0, metadata={"bad_edges": bad, "num_edges": int(ei.size(1))})


# Plain-MLP bars measured in this process, by (dataset content hash, MLP setting, device):
# the demo and the graphdistill command run several teachers and students of one dataset in
# one process, and the bar of a dataset does not change between them.
_MLP_BARS: dict[tuple[str, str, str, int], float] = {}


def _plain_mlp_val_acc(dataset, settings: SettingsStore, device: TorchDevice) -> float:
    """Validation accuracy of the ``mlp`` teacher setting retrained here: the graph-free bar.

    Trained in the check (seconds, even on the larger datasets) rather than read from the
    ``dataset|mlp`` partition, so the check never depends on another partition existing;
    trained once per process for the same data and setting.
    """
    from kernels.data.stats import content_hash
    from kernels.evaluate import train_node_classifier

    mlp = settings.teacher(PLAIN_MLP)
    key = (content_hash(dataset), mlp.model_dump_json(), device.kind, device.seed)
    if key not in _MLP_BARS:
        _, train_cfg = mlp.validated(PLAIN_MLP)
        with device.scope(mlp.seed) as dev:
            baseline = train_node_classifier(mlp.model, mlp.params, dataset, train_cfg,
                                             seed=mlp.seed + device.seed, device=dev)
        _MLP_BARS[key] = baseline.metrics["val_acc"]
    return _MLP_BARS[key]


def teacher_beats_plain_mlp(teacher, dataset, settings: SettingsStore, device: TorchDevice) -> AssetCheckResult:
    """Validation accuracy at least a plain MLP's (the ``mlp`` setting, on the same nodes).

    A GNN below the MLP is not using the graph (bad propagation, broken edges); warn only,
    since on a heterophilous graph a GNN may legitimately lose to it. A teacher whose
    training diverged fails too, whatever accuracy its kept epoch shows.
    """
    bar = _plain_mlp_val_acc(dataset, settings, device)
    val, diverged = teacher.metrics["val_acc"], bool(teacher.metrics.get("diverged", 0.0))
    return AssetCheckResult(passed=val >= bar and not diverged, severity=AssetCheckSeverity.WARN,
                            metadata={"val_acc": round(val, 4), "plain_mlp_val_acc": round(bar, 4),
                                      "diverged": diverged})


def student_not_worse_than_plain_mlp(student, dataset, settings: SettingsStore,
                                     device: TorchDevice) -> AssetCheckResult:
    """A distilled MLP's validation accuracy is at least that of the same-size-class MLP trained on labels.

    Below it, distillation hurt: a broken loss, a wrong teacher or a bad temperature. The
    check fails as an error but does not block ``student_report``, so the leaderboard shows
    the failure instead of hiding it.
    """
    bar = _plain_mlp_val_acc(dataset, settings, device)
    val = student.metrics["val_acc"]
    return AssetCheckResult(passed=val >= bar, severity=AssetCheckSeverity.ERROR,
                            metadata={"val_acc": round(val, 4), "plain_mlp_val_acc": round(bar, 4)})


def exact_node_budget(condensed_graph) -> AssetCheckResult:
    """The condensed graph has exactly the budgeted number of labelled nodes."""
    labelled = int((condensed_graph.y >= 0).sum())
    budget = int(condensed_graph.stats["budget"])
    return AssetCheckResult(passed=labelled == budget, metadata={"labelled_nodes": labelled, "budget": budget})


def every_class_present(condensed_graph, dataset) -> AssetCheckResult:
    """Every class of the real graph has at least one condensed node."""
    classes = int(dataset.y.max()) + 1
    present = int(condensed_graph.y[condensed_graph.y >= 0].unique().numel())
    return AssetCheckResult(passed=present == classes, metadata={"classes": classes, "present": present})


def condensed_features_are_finite(condensed_graph) -> AssetCheckResult:
    """No NaN or infinite condensed feature or edge weight."""
    import torch

    bad = int((~torch.isfinite(condensed_graph.x)).sum() + (~torch.isfinite(condensed_graph.edge_weight)).sum())
    return AssetCheckResult(passed=bad == 0, metadata={"non_finite_values": bad})


def adjacency_is_symmetric_and_nonnegative(condensed_graph) -> AssetCheckResult:
    """A' = A'^T with non-negative weights and no self-loops (what GCN normalisation assumes)."""
    from torch_geometric.utils import contains_self_loops, is_undirected

    symmetric = is_undirected(condensed_graph.edge_index, condensed_graph.edge_weight,
                              num_nodes=condensed_graph.num_nodes)
    negative = int((condensed_graph.edge_weight < 0).sum())
    loops = contains_self_loops(condensed_graph.edge_index)
    return AssetCheckResult(passed=symmetric and negative == 0 and not loops,
                            metadata={"symmetric": symmetric, "negative_weights": negative, "self_loops": loops})


DATASET_CHECKS = InStepChecks("dataset", dataset_partitions, (
    splits_are_disjoint, labels_in_range, features_are_finite, edges_in_range), blocking=True)
TEACHER_CHECKS = InStepChecks("teacher", dataset_x_teacher, (teacher_beats_plain_mlp,), blocking=False)
STUDENT_CHECKS = InStepChecks("student", dataset_x_student, (student_not_worse_than_plain_mlp,), blocking=False)
CONDENSED_GRAPH_CHECKS = InStepChecks("condensed_graph", dataset_x_condensation, (
    exact_node_budget, every_class_present, condensed_features_are_finite, adjacency_is_symmetric_and_nonnegative),
    blocking=True)

# The leaderboard should be rebuilt at least daily (after the nightly schedules); a stale one
# shows a warning in the UI. The sensor evaluates the check.
leaderboard_freshness = build_last_update_freshness_checks(assets=["leaderboard"],
                                                           lower_bound_delta=timedelta(hours=26))
freshness_sensor = build_sensor_for_freshness_checks(freshness_checks=leaderboard_freshness)
