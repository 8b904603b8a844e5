"""The README's first command: ``./run demo`` sets the platform up on the embedded default and
serves it. Its setup runs here for real (a fresh SQLite database and data folder, the whole
catalogue, every agency's signing key, a small synthetic history), then again, as a second
``./run demo`` on the same folder does."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys


def _demo(folder, *arguments: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE", "SECRET_KEY", "HUEY_IMMEDIATE"}}
    env.update(DICHVUCONG_MODE="demo", DICHVUCONG_DATA_DIR=str(folder),
               DJANGO_SETTINGS_MODULE="dichvucong.settings")
    return subprocess.run([sys.executable, "-m", "dichvucong", "demo", "--setup-only",
                           *arguments], env=env, capture_output=True, text=True, timeout=600)


def test_demo_sets_up_everything_and_again(tmp_path):
    first = _demo(tmp_path, "--history", "2000")
    assert first.returncode == 0, first.stderr[-3000:]
    database = sqlite3.connect(tmp_path / "db.sqlite3")

    def count(sql: str) -> int:
        return database.execute(sql).fetchone()[0]

    agencies = count("SELECT COUNT(*) FROM agencies_agency WHERE is_active")
    assert agencies > 150  # the city's departments, the wards' committees and police
    # Every agency can sign results: one published key each (long ward names included).
    assert count("SELECT COUNT(DISTINCT agency_id) FROM results_issuerkey") == agencies
    assert count("SELECT COUNT(*) FROM catalog_procedure") > 1000
    # The history, and the two combined-procedure dossiers (liên thông) across three agencies.
    assert count("SELECT COUNT(*) FROM dossiers_dossier") == 2000 + 2
    assert count("SELECT COUNT(DISTINCT to_agency_id) FROM dossiers_handover") == 2
    assert count("SELECT SUM(received) FROM monitor_agencymonthlyfact") > 1500
    assert count("SELECT COUNT(*) FROM opendata_dataset") > 0
    database.close()

    again = _demo(tmp_path, "--history", "2000")
    assert again.returncode == 0, again.stderr[-3000:]
    database = sqlite3.connect(tmp_path / "db.sqlite3")
    assert database.execute("SELECT COUNT(*) FROM dossiers_dossier").fetchone()[0] == 2000 + 2
