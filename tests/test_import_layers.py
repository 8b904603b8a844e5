"""The layers of docs/architecture.md «Layers» hold: import-linter's contracts in pyproject.toml
(``[tool.importlinter]``) are checked here, so the test command and CI fail on an import that
goes up a layer, closes a cycle between two apps (or two modules of one app), or reaches a page
from below. Imports inside functions count like any other.

No database is used; ``lint-imports`` runs in a subprocess on the source tree (its own
interpreter, so nothing this process has imported matters).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "pyproject.toml"
CONTRACTS = ("Layers:", "No two apps import each other", "Pages and API are imported only")


def _lint_imports(source: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(source), *filter(None, [os.environ.get("PYTHONPATH")])])}
    return subprocess.run(
        [sys.executable, "-c", "from importlinter.cli import lint_imports_command as c; c()",
         "--config", str(CONFIG), "--no-cache"],
        cwd=source, env=env, capture_output=True, text=True, timeout=300, check=False)


def _kept(output: str, contract: str) -> bool:
    line = next(line for line in output.splitlines() if line.startswith(contract))
    rest = output[output.index(line):].split("\n\n")[0]  # a long name wraps onto the next line
    return " KEPT" in rest and " BROKEN" not in rest


def test_the_code_keeps_the_layers():
    run = _lint_imports(ROOT / "src")
    assert run.returncode == 0, run.stdout + run.stderr
    for contract in CONTRACTS:
        assert _kept(run.stdout, contract), run.stdout


def test_a_planted_violation_breaks_the_contracts(tmp_path):
    # A copy of the package with two modules planted: the dossier core pricing through the
    # payments app inside a function (up a layer, and a cycle: payments imports dossiers), and a
    # capability's rule module reusing a page.
    copy = tmp_path / "src"
    shutil.copytree(ROOT / "src" / "dichvucong", copy / "dichvucong",
                    ignore=lambda folder, names: [
                        n for n in names
                        if not n.endswith(".py") and not (Path(folder) / n).is_dir()
                        or n == "__pycache__"])
    (copy / "dichvucong" / "dossiers" / "planted.py").write_text(
        "def price(dossier):\n"
        "    from dichvucong.payments.services import quote_for\n\n"
        "    return quote_for(dossier)\n", encoding="utf-8")
    (copy / "dichvucong" / "payments" / "planted.py").write_text(
        "from dichvucong.payments.views import receipt  # noqa: F401\n", encoding="utf-8")

    run = _lint_imports(copy)
    print(run.stdout)  # the report, shown with -s: the contracts failing on the planted imports
    assert run.returncode == 1, run.stdout + run.stderr
    for contract in CONTRACTS:
        assert not _kept(run.stdout, contract), run.stdout
    assert "dichvucong.dossiers is not allowed to import dichvucong.payments" in run.stdout
    assert "dichvucong.dossiers.planted -> dichvucong.payments.services (l.2)" in run.stdout
    assert "dichvucong.payments.planted -> dichvucong.payments.views (l.1)" in run.stdout


def test_every_app_is_in_a_layer():
    """A new app outside every layer would be checked by nothing: each package under
    src/dichvucong with models or views is named in the layers contract."""
    import tomllib

    config = tomllib.loads(CONFIG.read_text())
    layers = next(c for c in config["tool"]["importlinter"]["contracts"]
                  if c["id"] == "layers")["layers"]
    named = {name.strip() for layer in layers for name in layer.split(":")}
    apps = {f"dichvucong.{path.name}" for path in (ROOT / "src" / "dichvucong").iterdir()
            if (path / "apps.py").exists()}
    assert apps and not apps - named, sorted(apps - named)
