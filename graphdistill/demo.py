"""``make demo`` / ``graphdistill demo``: the project's two ideas on Cora, end to end.

dataset -> GCN and GraphSAGE teachers -> ClustGDD r=0.5 condensed graph -> its GCN report
-> GLNN MLP student distilled from the SAGE teacher -> leaderboard, all through the asset
graph (runs recorded in ``$DAGSTER_HOME``, rows in the warehouse), ending with one table:
what was trained on what, how much of the graph was kept, test accuracy beside the published
number, seconds and inference time.
"""
from __future__ import annotations

import time

from graphdistill.runs import Runner, Step
from resources import graphdistill_home, local_resources
from resources.tables import markdown_table

TEACHERS = ("gcn", "sage")
CONDENSED = "clustgdd-r0.5"
STUDENT = "glnn-sage"
# Published test accuracy (%) on Cora's public split, for the column beside ours.
PUBLISHED = {
    "cora": {"gcn": "81.5 (GCN paper)", "sage": "≈80.5 (GLNN paper's SAGE)",
             CONDENSED: "80.1 GCond · 83.6 GEOM (r=0.5)", STUDENT: "≈80.5 (GLNN paper)"},
}

METRICS_SQL = """
SELECT asset, setting, metric, avg(value) AS mean, stddev_samp(value) AS std, count(*) AS n
FROM results WHERE dataset = ? AND ((asset = 'teacher_report' AND setting IN (?, ?))
   OR (asset = 'condensation_report' AND setting = ?) OR (asset = 'student_report' AND setting = ?))
GROUP BY ALL
"""


def _acc(row: dict | None) -> str:
    if row is None:
        return "–"
    return f"{100 * row['mean']:.2f}" + (f" ± {100 * row['std']:.2f} ({row['n']} seeds)" if row["n"] > 1 else "")


def summary_table(dataset: str, seconds: dict[tuple[str, str | None], float]) -> str:
    """The demo's final table, from the warehouse rows its runs wrote."""
    rows = local_resources()["warehouse"].query(METRICS_SQL, [dataset, *TEACHERS, CONDENSED, STUDENT])
    got = {(r["asset"], r["setting"], r["metric"]): r for r in rows.iter_rows(named=True)}
    published = PUBLISHED.get(dataset, {})
    graph = got.get(("student_report", STUDENT, "inference_ms"))
    teacher_ms = got.get(("student_report", STUDENT, "teacher_inference_ms"))

    def secs(asset: str, setting: str) -> str:
        value = seconds.get((asset, f"{dataset}|{setting}"))
        return "–" if value is None else f"{value:.1f}"

    nodes = got.get(("condensation_report", CONDENSED, "condensed_nodes"))
    share = got.get(("condensation_report", CONDENSED, "ratio_bytes"))
    body = [
        ["GCN teacher", f"{dataset}, whole graph", "all", "100 %", _acc(got.get(("teacher_report", "gcn", "test_acc"))),
         published.get("gcn", "–"), secs("teacher", "gcn"), "–"],
        ["GraphSAGE teacher", f"{dataset}, whole graph", "all", "100 %",
         _acc(got.get(("teacher_report", "sage", "test_acc"))), published.get("sage", "–"), secs("teacher", "sage"),
         "–" if teacher_ms is None else f"{teacher_ms['mean']:.2f}"],
        ["GCN on the ClustGDD graph", "condensed graph only (r = 0.5)",
         "–" if nodes is None else f"{nodes['mean']:.0f}", "–" if share is None else f"{100 * share['mean']:.2f} %",
         _acc(got.get(("condensation_report", CONDENSED, "test_acc"))), published.get(CONDENSED, "–"),
         secs("condensed_graph", CONDENSED), "–"],
        ["GLNN MLP student", "SAGE teacher's soft labels, no graph", "–", "–",
         _acc(got.get(("student_report", STUDENT, "test_acc"))), published.get(STUDENT, "–"),
         secs("student", STUDENT), "–" if graph is None else f"{graph['mean']:.2f}"],
    ]
    header = ["model", "trained on", "nodes kept", "bytes kept", "test acc (%)", "published", "seconds",
              "inference ms"]
    return markdown_table(header, body)


def run_demo(dataset: str = "cora", *, report_seeds: int = 2, report_epochs: int = 600,
             verbose: bool = False) -> int:
    start = time.perf_counter()
    runner = Runner(verbose=verbose)
    runner.ensure("dataset", dataset)
    for teacher in TEACHERS:
        runner.run(Step(["teacher", "teacher_report"], f"{dataset}|{teacher}"))
    report = {"ops": {"condensation_report": {"config": {"archs": ["gcn"], "seeds": report_seeds,
                                                          "epochs": report_epochs}}}}
    runner.run(Step(["condensed_graph", "condensation_report"], f"{dataset}|{CONDENSED}", report))
    runner.run(Step(["student", "student_report"], f"{dataset}|{STUDENT}"))
    runner.run(Step(["leaderboard"], None))

    home = graphdistill_home()
    print(f"\n{dataset}: teachers, a condensed graph and a distilled student in "
          f"{time.perf_counter() - start:.0f} s\n")
    print(summary_table(dataset, runner.seconds))
    print(f"""
Seconds are wall time of each run (training, checks and report). The condensed graph's
report here is the quick protocol (GCN, {report_seeds} seeds); the full one trains six
architectures on five seeds: `graphdistill materialize condensation_report --partition '{dataset}|{CONDENSED}'`.

Next:
  1. make dev                 the asset graph and these runs at http://127.0.0.1:3000
  2. graphdistill condense {dataset} clustgdd --ratio 0.25 --seeds 5     one more experiment, one line
  3. duckdb {home / 'warehouse.duckdb'} "SELECT * FROM results"     every number, with its run""")
    return 0
