"""The asset layer: definitions only, no numerics (torch is imported inside asset bodies)."""
from dg_assets import checks
from dg_assets.condensation import condensation_report, condensed_graph
from dg_assets.datasets import dataset
from dg_assets.evaluation import (
    graph_leaderboard,
    leaderboard,
    leaderboard_automation,
    student_report,
    teacher_report,
)
from dg_assets.graph_distillation import distilled_graphs, graph_dataset, graph_distillation_report
from dg_assets.jobs import (
    condensation_job,
    datasets_job,
    graph_distillation_job,
    students_job,
    teachers_job,
    unlearning_job,
    unlearning_requests_job,
)
from dg_assets.schedules import all_schedules
from dg_assets.students import student
from dg_assets.teachers import teacher
from dg_assets.unlearning import unlearned_model, unlearning_report, unlearning_request

all_assets = [dataset, teacher, teacher_report, student, student_report, condensed_graph, condensation_report,
              unlearning_request, unlearned_model, unlearning_report, graph_dataset, distilled_graphs,
              graph_distillation_report, leaderboard, graph_leaderboard]
# The other checks are check_specs of their assets, evaluated in the asset's own step.
all_asset_checks = [*checks.leaderboard_freshness]
all_sensors = [checks.freshness_sensor, leaderboard_automation]
all_jobs = [datasets_job, teachers_job, students_job, condensation_job, unlearning_requests_job, unlearning_job,
            graph_distillation_job]

__all__ = ["all_asset_checks", "all_assets", "all_jobs", "all_schedules", "all_sensors"]
