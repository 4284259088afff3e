"""Benchmarks of helsemodlite against its performance targets (docs/performance.md).

Plain script, no test framework: ``python benchmarks/bench.py [--json results.json]``.

1. The reference projection in process (inputs already loaded): ``hm.project()`` with cell
   detail and with ``detail=False``, median of ``--repeats`` runs after a warm-up.
2. ``helsemodlite gap-table`` as a whole new process (interpreter start, imports, reading the
   inputs, projection, printing): median of ``--processes`` runs.
3. 1 000 scenario variants, a 10 × 10 × 10 grid of stillingsprosent × avgangsalder × sykefravær,
   as one ``hm.project_batch`` against 1 000 single ``hm.project`` calls in a loop (timed on the
   first ``--loop`` variants and extrapolated when that is fewer than 1 000), and the peak memory
   of the batch (tracemalloc, in a separate run so tracing does not slow the timed one).

4. ``hm.simulate`` of the reference (``--draws``, default 10 000, in chunks of 1 000): time of a
   first and a second run, cost per draw against one ``hm.project``, peak memory
   (``--only uncertainty`` runs just this one).
5. The inverse solve (constant and costed plans), Sobol indices and 10 000 draws in two local
   processes (``--only solve``).
6. ``helsemodlite report`` of the reference and three scenarios (heltid_10, avgangsalder_1,
   sykefravaer_minus10; 500 draws for the fan charts): ``hm.write_report`` in process (first and
   second run) and the command as a whole new process (``--only report``).

Runs on the default data set (``HELSEMODLITE_INPUTS`` or ``--inputs`` for another).
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import helsemodlite as hm  # noqa: E402

TARGETS = {
    "reference_ms": 50.0,
    "gap_table_process_s": 1.5,
    "batch_1000_s": 3.0,
    "batch_speedup_min": 20.0,
    "batch_peak_mb": 1024.0,
    "mc_10000_s": 2.0,
    "mc_cheaper_per_draw_min": 30.0,
    "mc_peak_mb": 1024.0,
    "report_s": 5.0,
}
REPORT_SCENARIOS = ["heltid_10", "avgangsalder_1", "sykefravaer_minus10"]

POSITION = [round(0.02 * i, 2) for i in range(10)]  # stillingsprosent +0 … +18 %
EXIT_YEARS = [round(0.5 * i, 1) for i in range(10)]  # exit postponed 0 … 4.5 years after 62
SICK_LEAVE = [round(-0.03 * i, 2) for i in range(10)]  # sick leave 0 … −27 %


def grid_scenarios() -> list[hm.Scenario]:
    """The 1 000 variants, validated (building them is timed separately)."""
    out = []
    for i, (p, y, s) in enumerate(itertools.product(POSITION, EXIT_YEARS, SICK_LEAVE)):
        d = {
            "stillingsprosent": {"relative_change": p},
            "avgangsalder": {"years": y, "from_age": 62},
            "sykefravaer": {"relative_change": s},
        }
        out.append(hm.Scenario.from_dict(d, name=f"v{i:04d}"))
    return out


def timed(fn: Callable[[], Any], repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def bench_reference(directory: str | None, repeats: int) -> dict[str, float]:
    """``hm.project()`` as a user calls it: inputs named by directory (None = the default data
    set), so every call includes the cache lookup (which stats the input files)."""
    t0 = time.perf_counter()
    hm.project(inputs=directory)  # first projection of the process (warm-up)
    first = time.perf_counter() - t0
    hm.project(inputs=directory, detail=False)
    detail = timed(lambda: hm.project(inputs=directory), repeats)
    totals = timed(lambda: hm.project(inputs=directory, detail=False), repeats)
    table = timed(lambda: hm.project(inputs=directory, detail=False).gap_table(), repeats)
    return {
        "first_projection_s": first,
        "reference_detail_median_ms": 1e3 * statistics.median(detail),
        "reference_median_ms": 1e3 * statistics.median(totals),
        "reference_min_ms": 1e3 * min(totals),
        "reference_gap_table_median_ms": 1e3 * statistics.median(table),
    }


def bench_process(inputs: Any, runs: int) -> dict[str, float]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]).rstrip(
            os.pathsep
        ),
    }
    cmd = [sys.executable, "-m", "helsemodlite", "gap-table"]
    if inputs is not None:
        cmd += ["--inputs", str(inputs)]
    bare = [sys.executable, "-c", "pass"]
    imp = [sys.executable, "-c", "import helsemodlite.api, helsemodlite.cli"]

    def run(c: list[str]) -> None:
        subprocess.run(c, env=env, check=True, stdout=subprocess.DEVNULL)

    run(cmd)  # page cache warm (the first run after a build also compiles .pyc files)
    return {
        "gap_table_process_median_s": statistics.median(timed(lambda: run(cmd), runs)),
        "python_start_median_s": statistics.median(timed(lambda: run(bare), runs)),
        "import_api_median_s": statistics.median(timed(lambda: run(imp), runs)),
    }


def bench_batch(inputs: Any, loop: int, batch_repeats: int) -> dict[str, float]:
    t0 = time.perf_counter()
    scs = grid_scenarios()
    build = time.perf_counter() - t0
    gc.collect()
    t0 = time.perf_counter()
    proj = hm.project_batch(scs, inputs=inputs)  # first: the process also maps fresh memory
    batch_first = time.perf_counter() - t0
    batch = statistics.median(timed(lambda: hm.project_batch(scs, inputs=inputs), batch_repeats))
    t0 = time.perf_counter()
    proj.summary()
    summary = time.perf_counter() - t0
    n = min(loop, len(scs))
    # The loop gets the loaded Inputs object (no per-call cache lookup): the fastest a loop of
    # single runs can be, so the speed-up below is not flattered.
    t0 = time.perf_counter()
    for sc in scs[:n]:
        hm.project(sc, inputs=inputs, detail=False)
    loop_s = (time.perf_counter() - t0) * len(scs) / n
    gc.collect()
    tracemalloc.start()
    hm.project_batch(scs, inputs=inputs)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "variants": len(scs),
        "build_scenarios_s": build,
        "batch_1000_s": batch,
        "batch_1000_first_s": batch_first,
        "batch_summary_s": summary,
        "loop_1000_s": loop_s,
        "loop_timed_variants": n,
        "batch_speedup": loop_s / batch,
        "batch_peak_mb": peak / 2**20,
        "process_max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def bench_uncertainty(inputs: Any, draws: int) -> dict[str, float]:
    """``hm.simulate`` of the reference: ``draws`` draws in chunks of 1 000, the first and a
    second run of the process, the cost per draw against one ``hm.project``, and the peak
    memory (tracemalloc, a separate run of the same size)."""
    spec = hm.uncertainty_spec(inputs)
    t0 = time.perf_counter()
    hm.simulate(draws=draws, inputs=inputs, spec=spec)
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    hm.simulate(draws=draws, inputs=inputs, spec=spec)
    second = time.perf_counter() - t0
    single = statistics.median(timed(lambda: hm.project(inputs=inputs, detail=False), 20))
    gc.collect()
    tracemalloc.start()
    hm.simulate(draws=draws, inputs=inputs, spec=spec)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "mc_draws": draws,
        "mc_first_s": first,
        "mc_s": second,
        "mc_per_draw_ms": 1e3 * second / draws,
        "mc_single_project_ms": 1e3 * single,
        "mc_cheaper_per_draw": single / (second / draws),
        "mc_peak_mb": peak / 2**20,
    }


def bench_solve(inputs: Any) -> dict[str, float]:
    """The inverse solve and the uncertainty extras, each the median of 3 runs after a warm-up:
    the constant solve (nurses' 2035 gap), the costed plan over graduates and immigrants and over
    graduates and stillingsprosent (a grid of 27 points), Sobol indices with n = 1 000 (13 000
    projections), and 10 000 draws in two local processes."""
    spec = hm.uncertainty_spec(inputs)
    costs = {"graduates": 1.0, "immigrants": 1.5}
    cases: dict[str, Callable[[], Any]] = {
        "solve_constant_s": lambda: hm.solve("graduates", "sykepleier", 2035, inputs=inputs),
        "solve_costed_linear_s": lambda: hm.solve(
            ["graduates", "immigrants"],
            "sykepleier",
            2035,
            costs=costs,
            max_step=0.1,
            inputs=inputs,
        ),
        "solve_costed_nonlinear_s": lambda: hm.solve(
            ["graduates", "stillingsprosent"],
            "sykepleier",
            2035,
            costs={"graduates": 1.0, "stillingsprosent": 500.0},
            inputs=inputs,
        ),
        "sobol_1000_s": lambda: hm.sobol(n=1000, inputs=inputs, spec=spec),
        "mc_10000_processes_2_s": lambda: hm.simulate(
            draws=10_000, inputs=inputs, spec=spec, executor=2
        ),
    }
    out = {}
    for key, fn in cases.items():
        fn()
        out[key] = statistics.median(timed(fn, 3))
    return out


def bench_report(inputs: Any, runs: int) -> dict[str, float]:
    """A report of the reference and three scenarios: in process, the first run (it imports
    matplotlib and builds the font cache's lookups) and the median of ``runs`` more; then the
    command as a new process (interpreter, imports, inputs, everything), median of ``runs``."""
    import shutil
    import tempfile

    tmp = Path(tempfile.mkdtemp(prefix="hm-bench-report-"))
    try:
        t0 = time.perf_counter()
        hm.write_report(REPORT_SCENARIOS, tmp / "first", inputs=inputs)
        first = time.perf_counter() - t0
        again = timed(lambda: hm.write_report(REPORT_SCENARIOS, tmp / "again", inputs=inputs), runs)
        size = (tmp / "again" / "report.html").stat().st_size
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(
                [str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]
            ).rstrip(os.pathsep),
        }
        cmd = [sys.executable, "-m", "helsemodlite", "report", *REPORT_SCENARIOS]
        cmd += ["--out", str(tmp / "process")]
        process = timed(
            lambda: subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL), runs
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {
        "report_first_s": first,
        "report_s": statistics.median(again),
        "report_process_s": statistics.median(process),
        "report_html_mb": size / 2**20,
    }


def report_report(r: dict[str, Any]) -> str:
    target = TARGETS["report_s"]
    rows = [
        ("hm.write_report, reference + 3 scenarios (median)", f"{r['report_s']:.2f} s", target),
        ("  first run of the process", f"{r['report_first_s']:.2f} s", None),
        ("helsemodlite report ... as a new process (median)", f"{r['report_process_s']:.2f} s",
         target),
        ("  report.html", f"{r['report_html_mb']:.1f} MB", None),
    ]  # fmt: skip
    w = max(len(a) for a, _, _ in rows)
    lines = []
    for a, b, t in rows:
        mark = "" if t is None else f"  (target ≤ {t:.0f} s)"
        lines.append(f"{a.ljust(w)}  {b:>10}{mark}")
    return "\n".join(lines)


def bench_explore(inputs: Any, repeats: int = 15) -> dict[str, float]:
    """The explorer's reply to a moved control: the page's own work (controls → scenario →
    projection → tables) and a whole rerun of the page in Streamlit's headless AppTest, which
    adds its own polling (so it is an upper bound of what the browser waits for)."""
    from streamlit.testing.v1 import AppTest

    from helsemodlite.explore.app import __file__ as app_file
    from helsemodlite.explore.controls import neutral_state, scenario_dict

    ref = hm.project(inputs=inputs, detail=False)

    def page_work(value: float) -> None:
        state = neutral_state(inputs)
        state.values[("stillingsprosent", "relative_change")] = value
        sc = hm.Scenario.from_dict(scenario_dict(inputs, state), name="utforsket")
        proj = hm.project(sc, inputs=inputs, detail=False)
        proj.gap_table() - ref.gap_table()

    values = iter([0.01 + 0.0001 * k for k in range(10_000)])
    work = statistics.median(timed(lambda: page_work(next(values)), repeats))
    at = AppTest.from_file(app_file, default_timeout=60)
    at.run()
    slider = "stillingsprosent.relative_change"
    times = []
    for k in range(repeats):
        t0 = time.perf_counter()
        at.slider(key=slider).set_value(float(k % 20 + 1)).run()
        times.append(time.perf_counter() - t0)
    return {"explore_work_ms": 1e3 * work, "explore_rerun_ms": 1e3 * statistics.median(times)}


def report_explore(r: dict[str, Any]) -> str:
    return (
        f"explore: the page's work after a moved control  {r['explore_work_ms']:.0f} ms\n"
        f"explore: a whole rerun in AppTest (upper bound)  {r['explore_rerun_ms']:.0f} ms"
    )


def report_solve(r: dict[str, Any]) -> str:
    rows = [
        ("hm.solve, constant (nurses, 2035)", r["solve_constant_s"]),
        ("hm.solve, costed: graduates + immigrants", r["solve_costed_linear_s"]),
        ("hm.solve, costed: graduates + stillingsprosent", r["solve_costed_nonlinear_s"]),
        ("hm.sobol, n = 1 000 (13 000 projections)", r["sobol_1000_s"]),
        ("hm.simulate, 10 000 draws in 2 processes", r["mc_10000_processes_2_s"]),
    ]
    w = max(len(a) for a, _ in rows)
    return "\n".join(f"{a.ljust(w)}  {b:>10.2f} s" for a, b in rows)


def report_uncertainty(r: dict[str, Any]) -> str:
    n = r["mc_draws"]
    scaled = r["mc_s"] * 10_000 / n
    rows = [
        (f"hm.simulate, {n:,} draws (second run)".replace(",", " "), f"{r['mc_s']:.2f} s"),
        ("  first run of the process", f"{r['mc_first_s']:.2f} s"),
        (
            f"  10 000 draws (target ≤ {TARGETS['mc_10000_s']} s)",
            f"{scaled:.1f} s" + ("" if n == 10_000 else " (scaled)"),
        ),
        ("  per draw", f"{r['mc_per_draw_ms']:.2f} ms"),
        ("  one hm.project(detail=False)", f"{r['mc_single_project_ms']:.2f} ms"),
        (
            "  cheaper per draw than one project "
            f"(target ≥ {TARGETS['mc_cheaper_per_draw_min']:.0f}×)",
            f"{r['mc_cheaper_per_draw']:.1f}×",
        ),
        (f"  peak memory (target ≤ {TARGETS['mc_peak_mb']:.0f} MB)", f"{r['mc_peak_mb']:.0f} MB"),
    ]
    w = max(len(a) for a, _ in rows)
    return "\n".join(f"{a.ljust(w)}  {b:>12}" for a, b in rows)


def report(r: dict[str, Any]) -> str:
    rows = [
        (
            "reference projection, detail=False (median)",
            f"{r['reference_median_ms']:.1f} ms",
            f"≤ {TARGETS['reference_ms']:.0f} ms",
            r["reference_median_ms"] <= TARGETS["reference_ms"],
        ),
        (
            "reference projection, with cell detail (median)",
            f"{r['reference_detail_median_ms']:.1f} ms",
            f"≤ {TARGETS['reference_ms']:.0f} ms",
            r["reference_detail_median_ms"] <= TARGETS["reference_ms"],
        ),
        ("  + gap_table() (median)", f"{r['reference_gap_table_median_ms']:.1f} ms", "", None),
        (
            "  reading and checking the inputs (once per process)",
            f"{r['load_inputs_s']:.2f} s",
            "",
            None,
        ),
        ("  first projection of the process", f"{1e3 * r['first_projection_s']:.1f} ms", "", None),
        (
            "helsemodlite gap-table, new process (median)",
            f"{r['gap_table_process_median_s']:.2f} s",
            f"≤ {TARGETS['gap_table_process_s']} s",
            r["gap_table_process_median_s"] <= TARGETS["gap_table_process_s"],
        ),
        ("  of which: python -c pass", f"{r['python_start_median_s']:.2f} s", "", None),
        (
            "  of which: start + import helsemodlite.api/cli",
            f"{r['import_api_median_s']:.2f} s",
            "",
            None,
        ),
        (
            f"1 000 variants, one project_batch (median of {r['batch_repeats']})",
            f"{r['batch_1000_s']:.2f} s",
            f"≤ {TARGETS['batch_1000_s']} s",
            r["batch_1000_s"] <= TARGETS["batch_1000_s"],
        ),
        ("  first batch of the process", f"{r['batch_1000_first_s']:.2f} s", "", None),
        ("  building the 1 000 Scenario objects", f"{r['build_scenarios_s']:.2f} s", "", None),
        ("  batch summary() table", f"{r['batch_summary_s']:.2f} s", "", None),
        (
            f"1 000 single project() calls (timed {r['loop_timed_variants']}"
            + (", extrapolated)" if r["loop_timed_variants"] < r["variants"] else ")"),
            f"{r['loop_1000_s']:.2f} s",
            "",
            None,
        ),
        (
            "batch speed-up over the loop",
            f"{r['batch_speedup']:.0f}×",
            f"≥ {TARGETS['batch_speedup_min']:.0f}×",
            r["batch_speedup"] >= TARGETS["batch_speedup_min"],
        ),
        (
            "batch peak memory (tracemalloc)",
            f"{r['batch_peak_mb']:.0f} MB",
            f"≤ {TARGETS['batch_peak_mb']:.0f} MB",
            r["batch_peak_mb"] <= TARGETS["batch_peak_mb"],
        ),
        ("  process max RSS (whole script)", f"{r['process_max_rss_mb']:.0f} MB", "", None),
    ]
    w = max(len(a) for a, *_ in rows)
    lines = [f"{'benchmark'.ljust(w)}  {'result':>10}  {'target':>10}  ok", "-" * (w + 30)]
    for name, value, target, ok in rows:
        mark = "" if ok is None else ("yes" if ok else "NO")
        lines.append(f"{name.ljust(w)}  {value:>10}  {target:>10}  {mark}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    ap.add_argument("--repeats", type=int, default=50, help="in-process repeats (default 50)")
    ap.add_argument("--processes", type=int, default=5, help="process runs (default 5)")
    ap.add_argument(
        "--loop",
        type=int,
        default=1000,
        help="single runs to time for the loop; extrapolated to 1 000 (default 1000)",
    )
    ap.add_argument(
        "--batch-repeats", type=int, default=5, help="timed batches after the first (default 5)"
    )
    ap.add_argument("--inputs", metavar="DIR", default=None, help="inputs directory")
    ap.add_argument(
        "--only",
        choices=("uncertainty", "solve", "explore", "report"),
        default=None,
        help="run only this benchmark",
    )
    ap.add_argument("--draws", type=int, default=10_000, help="Monte Carlo draws (default 10 000)")
    args = ap.parse_args(argv)

    from helsemodlite.api import resolve_inputs

    t0 = time.perf_counter()
    inputs = resolve_inputs(args.inputs)
    loading = time.perf_counter() - t0
    results: dict[str, Any] = {
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "cpus": os.cpu_count(),
        },
        "helsemodlite_version": hm.__version__,
        "inputs": str(args.inputs or hm.default_inputs_dir()),
        "targets": TARGETS,
    }
    results["load_inputs_s"] = loading
    single: dict[str, tuple[Callable[[], dict[str, float]], Callable[[dict[str, Any]], str]]] = {
        "uncertainty": (lambda: bench_uncertainty(inputs, args.draws), report_uncertainty),
        "report": (lambda: bench_report(inputs, args.processes), report_report),
        "explore": (lambda: bench_explore(inputs), report_explore),
        "solve": (lambda: bench_solve(inputs), report_solve),
    }
    if args.only in single:
        run_one, show = single[args.only]
        results.update(run_one())
        print(show(results))
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        return 0
    results.update(bench_reference(args.inputs, args.repeats))
    results.update(bench_process(args.inputs, args.processes))
    results["batch_repeats"] = args.batch_repeats
    results.update(bench_batch(inputs, args.loop, args.batch_repeats))
    results.update(bench_uncertainty(inputs, args.draws))
    print(report(results))
    print(report_uncertainty(results))
    results.update(bench_solve(inputs))
    print(report_solve(results))
    results.update(bench_report(inputs, args.processes))
    print(report_report(results))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
