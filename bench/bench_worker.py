"""The pipeline worker's own cost per API submission, the declaration's rendering aside: what
the huey task ``pipeline.run`` does after each filing's kick (``file_declaration`` then
``drain``), with ``results.declaration.render`` replaced by a ready PDF (the rendering is
measured by ``bench_results.py``; here only what is left around it).

In alternating rounds beside the floor (``/healthz/live``) in the same process:
- one at a time: a submission, then its kick's run (a worker that keeps up: each run drains
  one submission's entries);
- batched: ``BENCH_BATCH`` submissions, then their kicks' runs (a worker behind: the first run
  drains them all, the others find nothing left but still seal and fold).
Reported: the worker's CPU per submission and per entry, its SQL statements per submission,
and with ``--steps`` the statements and CPU of each step (and of the run's fixed part).

Runs on a demo database meant for benchmarks (it adds submissions to ``congdan``):
    DATABASE_URL=… DICHVUCONG_DATA_DIR=… DICHVUCONG_MODE=demo DICHVUCONG_READ_UPLOADS=0 \\
        .venv/bin/python bench/bench_worker.py [--steps] [--profile]
    BENCH_ROUNDS=3  BENCH_BATCH=20 (submissions per round and mode)  BENCH_MODE=batched (one)
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import sys
import time
from collections import defaultdict

import harness
from bench_profile import _cpu_per_call, kinds

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
BATCH = int(os.environ.get("BENCH_BATCH", "20"))
LINES = int(os.environ.get("BENCH_PROFILE_LINES", "30"))


class Counted:
    """Statements and CPU per label (a step, the declaration, the run's fixed part)."""

    def __init__(self) -> None:
        self.statements: dict[str, int] = defaultdict(int)
        self.cpu: dict[str, float] = defaultdict(float)
        self.label = "run"
        self.log: list[tuple[str, str]] | None = None  # --sql: every statement of the first

    def __call__(self, execute, sql, params, many, context):
        self.statements[self.label] += 1
        if self.log is not None:
            self.log.append((self.label, sql[:300]))
        return execute(sql, params, many, context)


def _wrap_steps(counted: Counted) -> None:
    """Each step's run (and batch run) credited to its name."""
    from dataclasses import replace

    from dichvucong.pipeline import steps, worker

    def wrapped(name, call):
        if call is None:
            return None

        def run(arg):
            before, started = counted.label, time.process_time()
            counted.label = name
            try:
                return call(arg)
            finally:
                counted.cpu[name] += time.process_time() - started
                counted.label = before
        return run

    derived = tuple(replace(step, run=wrapped(step.name, step.run),
                            run_batch=wrapped(step.name, step.run_batch))
                    for step in steps.DERIVED)
    worker.DERIVED = derived


def main() -> None:
    harness.setup_django()
    from django.db import connection
    from django.db.models.signals import post_save

    from dichvucong.dossiers.models import Dossier
    from dichvucong.pipeline import receivers, steps, tasks, worker
    from dichvucong.pipeline.models import PipelineEntry
    from dichvucong.results import declaration

    rendered: dict[str, bytes] = {}
    real_render = declaration.render

    def render(paper):  # the first rendering kept, every later one reused
        if "pdf" not in rendered:
            rendered["pdf"] = real_render(paper)
        return rendered["pdf"]

    declaration.render = render
    kicked: list[int | None] = []
    receivers.kick = lambda declaration=None: kicked.append(declaration)
    tasks.kick = receivers.kick
    worker.drain()
    calls = kinds()
    counted = Counted()
    created = [0]  # entries written (by the submissions and the declarations)

    def count_entry(sender, **kwargs):
        created[0] += bool(kwargs.get("created"))

    post_save.connect(count_entry, sender=PipelineEntry, weak=False)
    steps_wanted = "--steps" in sys.argv
    if steps_wanted:
        _wrap_steps(counted)

    def run_kicks(profiler=None) -> tuple[float, int, int]:
        """The kicks so far as the huey task runs them: CPU, statements, entries drained."""
        owed = list(kicked)
        kicked.clear()
        statements = sum(counted.statements.values())
        with connection.execute_wrapper(counted):
            started = time.process_time()
            if profiler:
                profiler.enable()
            for dossier_id in owed:
                if dossier_id is not None:
                    before, label_started = counted.label, time.process_time()
                    counted.label = "declaration"
                    with tasks.drained_after():  # as the huey task does
                        steps.file_declaration(dossier_id)
                    counted.cpu["declaration"] += time.process_time() - label_started
                    counted.label = before
                worker.drain()
            if profiler:
                profiler.disable()
            used = time.process_time() - started
        return used, sum(counted.statements.values()) - statements, len(owed)

    print(f"{harness.database_name()}, {Dossier.objects.count():,} dossiers, "
          f"load {os.getloadavg()[0]:.2f}; the worker per API submission, the declaration's "
          f"rendering aside; {ROUNDS} rounds of {BATCH} submissions per mode")
    modes = [m for m in ("one at a time", "batched")
             if not os.environ.get("BENCH_MODE") or m == os.environ["BENCH_MODE"]]
    totals = {mode: [0.0, 0, 0, 0] for mode in modes}
    floors = []
    run_kicks()  # warm, unmeasured: the first submission's run (URL patterns, templates)
    created[0] = 0
    counted.statements.clear()
    counted.cpu.clear()
    profiler = cProfile.Profile(time.process_time) if "--profile" in sys.argv else None
    sql_log = None
    for _ in range(ROUNDS):
        floors.append(_cpu_per_call(calls["floor"], 200))
        for mode in totals:
            for _ in range(BATCH):
                calls["API submission"]()
                if mode == "one at a time":
                    entries, created[0] = created[0], 0
                    if "--sql" in sys.argv and sql_log is None:
                        sql_log = counted.log = []
                    used, statements, _n = run_kicks(profiler)
                    counted.log = None
                    totals[mode][0] += used
                    totals[mode][1] += statements
                    totals[mode][2] += 1
                    totals[mode][3] += entries + created[0]
                    created[0] = 0
            if mode == "batched":
                used, statements, n = run_kicks(profiler)
                entries, created[0] = created[0], 0
                totals[mode][0] += used
                totals[mode][1] += statements
                totals[mode][2] += n
                totals[mode][3] += entries
    floor = sum(floors) / len(floors)
    print(f"floor {floor:.2f} ms (rounds: {', '.join(f'{f:.2f}' for f in floors)})")
    for mode, (used, statements, submissions, entries) in totals.items():
        print(f"{mode:14}: {used * 1000 / submissions:7.2f} ms of CPU per submission "
              f"(×{used * 1000 / submissions / floor:.1f} the floor), "
              f"{entries / submissions:.1f} entries and {statements / submissions:.1f} "
              f"statements per submission")
    if steps_wanted:
        submissions = sum(t[2] for t in totals.values())
        print("per submission, both modes:")
        for label in sorted(counted.statements, key=lambda k: -counted.statements[k]):
            print(f"  {label:12} {counted.statements[label] / submissions:6.1f} statements"
                  + (f"  {counted.cpu[label] * 1000 / submissions:6.2f} ms"
                     if label in counted.cpu else ""))
    print(f"load after: {os.getloadavg()[0]:.2f}")
    if sql_log:
        for label, sql in sql_log:
            print(f"  {label:12} {sql}")
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(LINES)
        print(out.getvalue())


if __name__ == "__main__":
    main()
