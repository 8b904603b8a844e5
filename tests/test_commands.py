"""Every command the README names exists, spelt as the README spells it: each ``dichvucong …``
runs (``--help``) through the real entry point in a process of its own, each ``./run …`` is one
the script dispatches, and ``dichvucong verify-result`` checks a real signed result offline."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache
from django.test import TestCase

from dichvucong.results import services
from dichvucong.results.models import SigningState
from tests.results_helpers import approved_dossier, user

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _code() -> list[str]:
    """The README's code: inline spans and the lines of fenced blocks (prose is not a command:
    "dichvucong itself is under the Apache License")."""
    blocks = re.findall(r"^```[^\n]*\n(.*?)^```", README, flags=re.MULTILINE | re.DOTALL)
    prose = re.sub(r"^```[^\n]*\n.*?^```", "", README, flags=re.MULTILINE | re.DOTALL)
    return [line for block in blocks for line in block.splitlines()] + re.findall(
        r"`([^`\n]+)`", prose)


def readme_commands(program: str) -> list[str]:
    pattern = re.compile(rf"(?:^|[\s/]){re.escape(program)}\s+([a-z][a-z0-9_-]*)")
    found = {match for code in _code() for match in pattern.findall(code)}
    return sorted(found)


DICHVUCONG = readme_commands("dichvucong")
RUN = readme_commands("./run")


def test_the_readme_names_commands():
    # The parsing above finds what the README says; if it found nothing, the tests below
    # would pass without checking anything.
    assert {"verify-result", "generate-history", "scan-alerts", "migrate", "serve",
            "refresh_open_data", "result_keys"} <= set(DICHVUCONG)
    assert {"demo", "tests", "bench", "lint"} <= set(RUN)


def command_env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(DJANGO_SETTINGS_MODULE="dichvucong.settings_test", DICHVUCONG_MODE="test",
               DICHVUCONG_DATA_DIR=str(tmp_path))
    # The checkout under test, not whichever one the virtual environment was installed from.
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])])
    return env


def dichvucong(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dichvucong", *args], capture_output=True,
                          text=True, env=command_env(tmp_path), timeout=120, check=False)


@pytest.mark.parametrize("command", DICHVUCONG)
def test_every_dichvucong_command_the_readme_names_runs(command, tmp_path):
    done = dichvucong(tmp_path, command, "--help")
    assert done.returncode == 0, f"dichvucong {command} --help: {done.stderr[-800:]}"
    assert "usage:" in done.stdout and "Unknown command" not in done.stderr


def test_every_run_command_the_readme_names_is_dispatched():
    script = (ROOT / "run").read_text()
    dispatch = script[script.rindex('case "${1:-}" in'):]
    known = {name.strip() for line in re.findall(r"^\s*([\w |-]+)\)", dispatch, re.MULTILINE)
             for name in line.split("|")}
    missing = [command for command in RUN if command not in known]
    assert not missing, f"./run does not know {missing}"


@pytest.mark.django_db
def test_verify_result_as_the_readme_spells_it_checks_a_signed_result(settings, tmp_path):
    """Issue #14 item 9: ``dichvucong verify-result`` answered "Unknown command"."""
    from dichvucong.agencies.models import Agency

    settings.RESULTS_PKI_DIR = str(tmp_path / "pki")
    settings.RESULTS_TRUST_ROOTS = []
    settings.SITE_URL = "http://testserver"
    cache.delete_many([services.PUBLISHED_CACHE_KEY, services.ONLINE_CACHE_KEY])
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.ensure_demo_keys(Agency.objects.filter(name="Ủy ban nhân dân phường Hải Châu"))
    with TestCase.captureOnCommitCallbacks(execute=True):
        result = services.request_issue(approved_dossier(), user("chuyenvien.haichau"))
    result.refresh_from_db()
    assert result.signing_state == SigningState.DONE, result.signing_error
    trust_list = tmp_path / "trust.json"
    trust_list.write_text(json.dumps(services.signed_trust_list()))
    anchor = services.trust_list_anchors()[0]

    done = dichvucong(tmp_path, "verify-result", "--trust-list", str(trust_list),
                      "--anchor", anchor, "--json", result.qr_payload)
    assert done.returncode == 0, done.stderr[-800:]
    verdict = json.loads(done.stdout)
    assert verdict["outcome"] == "valid" and verdict["number"] == result.number

    forged = result.qr_payload[:-2] + ("A" if result.qr_payload[-2] != "A" else "B") + \
        result.qr_payload[-1]
    refused = dichvucong(tmp_path, "verify-result", "--trust-list", str(trust_list),
                         "--anchor", anchor, "--json", forged)
    assert refused.returncode == 1 and json.loads(refused.stdout)["outcome"] != "valid"
