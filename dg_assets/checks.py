"""Asset checks: each asks one question whose failure is a real fault in the data or model."""

from dagster import AssetCheckResult, AssetCheckSeverity, asset_check

from dg_assets.datasets import dataset
from dg_assets.partitions import dataset_partitions, dataset_x_teacher
from dg_assets.teachers import teacher


@asset_check(asset=dataset, partitions_def=dataset_partitions, blocking=True)
def splits_are_disjoint(dataset) -> AssetCheckResult:
    """No node is in two of train / val / test, and every split is non-empty."""
    overlap = int((dataset.train_mask & dataset.val_mask).sum() + (dataset.train_mask & dataset.test_mask).sum()
                  + (dataset.val_mask & dataset.test_mask).sum())
    sizes = {k: int(dataset[f"{k}_mask"].sum()) for k in ("train", "val", "test")}
    return AssetCheckResult(passed=overlap == 0 and min(sizes.values()) > 0,
                            metadata={"overlapping_nodes": overlap, **sizes})


@asset_check(asset=dataset, partitions_def=dataset_partitions, blocking=True)
def labels_in_range(dataset) -> AssetCheckResult:
    """Labels are integers in [0, num_classes) and every class has training nodes."""
    y = dataset.y
    num_classes = int(y.max()) + 1
    in_range = bool((y >= 0).all())
    train_classes = int(y[dataset.train_mask].unique().numel())
    return AssetCheckResult(passed=in_range and train_classes == num_classes,
                            metadata={"num_classes": num_classes, "classes_in_train": train_classes,
                                      "min_label": int(y.min())})


@asset_check(asset=dataset, partitions_def=dataset_partitions, blocking=True)
def features_are_finite(dataset) -> AssetCheckResult:
    """No NaN or infinite feature value."""
    import torch

    bad = int((~torch.isfinite(dataset.x)).sum())
    return AssetCheckResult(passed=bad == 0, metadata={"non_finite_values": bad})


@asset_check(asset=dataset, partitions_def=dataset_partitions, blocking=True)
def edges_in_range(dataset) -> AssetCheckResult:
    """Every edge endpoint is a valid node index."""
    ei = dataset.edge_index
    bad = int(((ei < 0) | (ei >= dataset.num_nodes)).any(dim=0).sum())
    return AssetCheckResult(passed=bad == 0, metadata={"bad_edges": bad, "num_edges": int(ei.size(1))})


@asset_check(asset=teacher, partitions_def=dataset_x_teacher)
def teacher_beats_chance(teacher) -> AssetCheckResult:
    """Validation accuracy is above chance (1 / num_classes).

    A teacher at or below 1/num_classes learned nothing (bad lr, broken features); warn,
    since an MLP teacher on a hard graph may legitimately be weak.
    """
    chance = 1.0 / teacher.out_dim
    val = teacher.metrics["val_acc"]
    return AssetCheckResult(passed=val > chance, severity=AssetCheckSeverity.WARN,
                            metadata={"val_acc": round(val, 4), "chance": round(chance, 4)})
