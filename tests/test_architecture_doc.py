"""The written guides stay true to the code: docs/architecture.md's route map names every URL
prefix the project serves, and the README's configuration table and layout name every setting
read from the environment and every app.

Routes someone adds (or an app someone creates) without a line in the guides fail here, with the
missing names in the message. No database is used.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from django.urls import URLPattern, URLResolver, get_resolver

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "dichvucong"
ARCHITECTURE = ROOT / "docs" / "architecture.md"
README = ROOT / "README.md"

PARAM = re.compile(r"<(?:[^<>:]+:)?([^<>]+)>|\{([^{}]+)\}")


def _section(text: str, heading: str) -> str:
    """The text under the ``## …`` heading that starts with ``heading``, up to the next one."""
    match = re.search(rf"^## {re.escape(heading)}[^\n]*\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"no section «## {heading}» found"
    return match.group(1)


def _walk(patterns, prefix: str = "", namespace: str | None = None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern),
                             pattern.namespace or namespace)
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), namespace or pattern.callback.__module__


def _segments(route: str) -> list[str]:
    """The route's segments, path converters written as ``<name>`` (``{name}`` in OpenAPI)."""
    route = PARAM.sub(lambda m: f"<{m.group(1) or m.group(2)}>", route.lstrip("/"))
    return route.split("/")


def _key(route: str, shared: bool) -> str:
    """The prefix the route map must name for ``route``.

    - API paths: ``/api/v1/<router>`` (and ``/api/3/action/`` … for CKAN's), up to the first
      parameter;
    - pages: the first segment (``/thu-tuc/``, ``/healthz``, ``/`` for the home page); when
      that segment is served by more than one app (``/mot-cua/`` by five), up to and
      including the next literal segment (``/mot-cua/ket-qua/``, ``/ho-so/<code>/phieu/``).
    """
    parts = _segments(route)
    if parts[0] == "api":
        if len(parts) > 1 and parts[1] == "v1":
            kept = parts[:3]
        else:
            kept = []
            for part in parts:
                if part.startswith("<"):
                    break
                kept.append(part)
        key = "/" + "/".join(kept)
        return key + "/" if len(parts) > len(kept) and not key.endswith("/") else key
    if not shared or len(parts) == 1:
        return "/" + parts[0] + ("/" if len(parts) > 1 else "")
    kept = [parts[0]]
    for part in parts[1:]:
        kept.append(part)
        if not part.startswith("<") and part:
            break
    key = "/" + "/".join(kept)
    return key + "/" if len(parts) > len(kept) and not key.endswith("/") else key


def _served_prefixes() -> dict[str, set[str]]:
    """Route-map key → the routes it covers, from Django's resolver and the API's OpenAPI."""
    routes = list(_walk(get_resolver().url_patterns))
    apps_by_first: dict[str, set[str]] = {}
    for route, app in routes:
        apps_by_first.setdefault(_segments(route)[0], set()).add(app)
    from dichvucong.api import api

    schema = api.get_openapi_schema(path_prefix="/api/v1/")
    routes += [(path, "api-v1") for path in schema["paths"]]
    keys: dict[str, set[str]] = {}
    for route, _app in routes:
        first = _segments(route)[0]
        keys.setdefault(_key(route, len(apps_by_first.get(first, ())) > 1), set()).add(route)
    return keys


def _route_map_keys(*, demo: bool = True) -> set[str]:
    """The first column of the route map's tables: each cell's backquoted paths (without the
    rows marked «demo mode only» when ``demo`` is false: the tests run in test mode)."""
    section = _section(ARCHITECTURE.read_text(encoding="utf-8"), "Route map")
    keys = set()
    for line in section.splitlines():
        if not line.startswith("| `/") or (not demo and "demo mode only" in line):
            continue
        first_cell = line.split("|")[1]
        keys |= {_norm(key) for key in re.findall(r"`(/[^`]*)`", first_cell)}
    return keys


def _norm(key: str) -> str:
    """``/healthz`` and ``/healthz/`` are one prefix."""
    return key.rstrip("/") or "/"


def test_route_map_names_every_served_prefix():
    mapped = _route_map_keys()
    served = _served_prefixes()
    missing = {key: sorted(routes)[:3] for key, routes in served.items()
               if _norm(key) not in mapped}
    assert not missing, (
        "docs/architecture.md «Route map» lacks these prefixes (key: some routes under it); "
        f"add a row for each: {missing}")


def test_route_map_names_no_prefix_that_is_not_served():
    stale = _route_map_keys(demo=False) - {_norm(key) for key in _served_prefixes()}
    assert not stale, f"docs/architecture.md «Route map» names prefixes nothing serves: {stale}"


def test_the_key_of_a_shared_prefix_goes_one_literal_segment_deeper():
    # The rule itself, on routes of today's map: /mot-cua/ is served by five apps.
    assert _key("mot-cua/ket-qua/<str:token>/ky-lai/", shared=True) == "/mot-cua/ket-qua/"
    assert _key("ho-so/<str:code>/phieu/<str:kind>.pdf", shared=True) == "/ho-so/<code>/phieu/"
    assert _key("ho-so/<str:code>/", shared=True) == "/ho-so/<code>/"
    assert _key("mot-cua/", shared=True) == "/mot-cua/"
    assert _key("giam-sat/co-quan/<int:agency_id>/", shared=False) == "/giam-sat/"
    assert _key("", shared=False) == "/"
    assert _key("healthz/live", shared=False) == "/healthz/"
    assert _key("api/v1/dossiers/<code>/withdraw", shared=True) == "/api/v1/dossiers/"
    assert _key("/api/v1/alerts", shared=True) == "/api/v1/alerts"
    assert _key("api/3/action/<str:name>", shared=True) == "/api/3/action/"


# --- README ----------------------------------------------------------------------------------


def _environment_names(path: Path) -> set[str]:
    """Names read from the environment in ``path``: ``os.environ.get("X")``, ``os.environ["X"]``,
    ``"X" in os.environ``, ``os.getenv("X")`` and the settings' ``env_*("X", …)`` helpers (and
    accounts/conf.py's ``_get``/``_bool``, which fall back to the environment)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()

    def environ(node) -> bool:
        return isinstance(node, ast.Attribute) and node.attr == "environ"

    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            attribute = isinstance(func, ast.Attribute)
            reads = ((attribute and func.attr == "get" and environ(func.value))
                     or (attribute and func.attr == "getenv")
                     or (isinstance(func, ast.Name)
                         and (func.id.startswith("env_") or func.id in ("_get", "_bool"))))
            if reads and isinstance(node.args[0].value, str):
                names.add(node.args[0].value)
        if isinstance(node, ast.Subscript) and environ(node.value) \
                and isinstance(node.slice, ast.Constant):
            names.add(node.slice.value)
        if isinstance(node, ast.Compare) and isinstance(node.left, ast.Constant) \
                and any(environ(c) for c in node.comparators):
            names.add(node.left.value)
    return names


def test_readme_configuration_table_names_every_environment_variable():
    names = (_environment_names(SRC / "settings.py") | _environment_names(SRC / "accounts/conf.py")
             | _environment_names(SRC / "core/management/commands/serve.py"))
    assert "SITE_URL" in names and "DB_CONN_MAX_AGE" in names  # the reader reads settings.py
    table = _section(README.read_text(encoding="utf-8"), "Configuration")
    missing = sorted(name for name in names if f"`{name}`" not in table)
    assert not missing, f"README «Configuration» lacks (write each name whole): {missing}"


def test_readme_layout_names_every_app_and_top_level_folder():
    layout = _section(README.read_text(encoding="utf-8"), "Layout")
    apps = sorted(p.name for p in SRC.iterdir()
                  if p.is_dir() and (p / "__init__.py").exists())
    missing = [f"{app}/" for app in apps if f"  {app}/" not in layout]
    missing += [f"{top}/" for top in ("tests", "bench", "tools", "docs")
                if not re.search(rf"^{top}/", layout, re.M)]
    assert not missing, f"README «Layout» lacks: {missing}"


# --- references to documents -------------------------------------------------------------------

REFERENCED = re.compile(r"[A-Za-z0-9_./-]*[A-Za-z0-9_-]\.md\b")
SECTION = re.compile(r"docs/architecture\.md\s*(?:#?\s*)?«([^»]+)»")


def _texts():
    files = [README, ARCHITECTURE, ROOT / "run"]
    for folder in (SRC, ROOT / "tests", ROOT / "bench"):
        files += [p for p in folder.rglob("*") if p.suffix in (".py", ".md", ".html", ".txt")]
    for path in files:
        yield path, path.read_text(encoding="utf-8")


def test_every_referenced_document_is_in_the_repository():
    # Comments once pointed at design notes kept outside the repository; a reader must be able
    # to open what a reference names.
    dangling = []
    for path, text in _texts():
        for name in set(REFERENCED.findall(text)):
            bases = (ROOT, ROOT / "docs", SRC, path.parent, SRC / "catalog", SRC / "catalog/data")
            if not any((base / name).is_file() for base in bases):
                dangling.append(f"{path.relative_to(ROOT)}: {name}")
    assert not dangling, f"references to documents not in the repository: {sorted(dangling)}"


def test_every_referenced_section_of_the_architecture_guide_exists():
    headings = set(re.findall(r"^#{2,4} (.+?)\s*$", ARCHITECTURE.read_text(encoding="utf-8"),
                              re.M))
    missing = []
    for path, text in _texts():
        for section in SECTION.findall(text):
            name = " ".join(section.split())
            if name not in headings:
                missing.append(f"{path.relative_to(ROOT)}: «{name}»")
    assert not missing, f"docs/architecture.md has no such section: {sorted(missing)}"
