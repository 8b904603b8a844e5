"""CKAN's dataset search language (Solr's, as ``package_search`` takes it in ``q`` and ``fq``),
for the handful of datasets a city publishes: parsed here and matched in Python.

Supported: free words (all must match, diacritics ignored), ``"phrases"``, ``field:value``,
``field:"quoted value"``, ``field:(a OR b)``, ``field:*``, ``prefix*``, ranges
``field:[a TO b]`` (``*`` and ``NOW`` allowed, what harvesters send on ``metadata_modified``),
``+``/``-`` and ``NOT`` before a clause, ``AND`` (the default) and ``OR`` between clauses, and
``*:*`` for everything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dichvucong.core.text import fold

# Fields matched as exact values (case and diacritics ignored), and fields matched as text.
EXACT_FIELDS = {"id", "name", "organization", "owner_org", "tags", "groups", "res_format",
                "license_id", "type", "state", "frequency", "capacity"}
TEXT_FIELDS = {"title", "notes", "text", "res_name", "res_description", "organization_title"}
RANGE_FIELDS = {"metadata_modified", "metadata_created", "num_resources", "num_tags"}
NUMBER_FIELDS = {"num_resources", "num_tags"}
_NUMBER = re.compile(r"-?\d{1,18}")
FIELDS = EXACT_FIELDS | TEXT_FIELDS | RANGE_FIELDS


class QuerySyntaxError(ValueError):
    pass


@dataclass
class Term:
    field: str | None  # None: free text
    values: list[str]  # matched if any matches
    negate: bool = False
    range: tuple[str, str] | None = None
    match_all: bool = False


@dataclass
class Query:
    # A list of OR-groups, all of which must hold.
    groups: list[list[Term]] = field(default_factory=list)

    @property
    def free_words(self) -> list[str]:
        words = []
        for group in self.groups:
            for term in group:
                if term.field is None and not term.negate:
                    for value in term.values:
                        words += fold(value).split()
        return words


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<op>AND|OR|NOT|&&|\|\|)(?=\s|$)
      | (?P<sign>[+-])?
        (?:(?P<field>[A-Za-z_][\w.]*):)?
        (?:
            "(?P<quoted>[^"]*)"
          | \((?P<group>[^()]*)\)
          | \[(?P<range>[^\]]*)\]
          | (?P<bare>[^\s()"\[\]]+)
        )
    )""",
    re.VERBOSE,
)


def parse(text: str) -> Query:
    text = (text or "").strip()
    query = Query()
    if not text:
        return query
    position, pending_or, pending_not, pending_and = 0, False, False, False
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise QuerySyntaxError(f"cannot parse the query at: {text[position:position + 30]!r}")
        position = match.end()
        op = match.group("op")
        if op in ("OR", "||"):
            if not query.groups:
                raise QuerySyntaxError("OR needs a clause before it")
            pending_or = True
            continue
        if op in ("AND", "&&"):
            if not query.groups:
                raise QuerySyntaxError("AND needs a clause before it")
            pending_and = True
            continue
        if op == "NOT":
            pending_not = True
            continue
        term = _term(match)
        pending_and = False
        if pending_not:
            term.negate, pending_not = not term.negate, False
        if pending_or:
            query.groups[-1].append(term)
            pending_or = False
        else:
            query.groups.append([term])
    if pending_or or pending_not or pending_and:
        raise QuerySyntaxError("the query ends with an operator")
    return query


def _term(match: re.Match) -> Term:
    name = match.group("field")
    negate = match.group("sign") == "-"
    if name is not None and name != "*" and name not in FIELDS and not name.startswith("extras_"):
        raise QuerySyntaxError(f"undefined field {name}")
    bare = match.group("bare")
    if name is None and bare == "*:*":
        return Term(None, [], negate, match_all=True)
    if match.group("range") is not None:
        if name is None:
            raise QuerySyntaxError("a range needs a field")
        parts = match.group("range").split(" TO ")
        if len(parts) != 2:
            raise QuerySyntaxError("a range reads [from TO to]")
        bounds = (parts[0].strip(), parts[1].strip())
        if name in NUMBER_FIELDS and not all(b == "*" or _NUMBER.fullmatch(b) for b in bounds):
            raise QuerySyntaxError(f"the bounds of {name} are whole numbers or *")
        return Term(name, [], negate, range=bounds)
    if match.group("group") is not None:
        values = [v.strip().strip('"') for v in re.split(r"\s+OR\s+|\s+", match.group("group"))
                  if v.strip() and v.strip() not in ("OR", "AND")]
        if not values:
            raise QuerySyntaxError("an empty group")
        return Term(name, values, negate)
    value = match.group("quoted") if match.group("quoted") is not None else bare
    if name == "*" and value == "*":
        return Term(None, [], negate, match_all=True)
    return Term(name, [value], negate)


def plain_words(text: str) -> str:
    """A query of the words of ``text`` alone, each quoted: what is searched when ``text`` is not
    a query the language reads (``x"y``, ``AND``, ``(``), so that it always parses."""
    return " ".join(f'"{word}"' for word in re.findall(r"\w+", text or ""))


@dataclass
class Document:
    """What a dataset offers to search: exact values per field, and its folded text."""

    exact: dict[str, set[str]]
    text: dict[str, str]
    ranges: dict[str, str | int]

    @property
    def all_text(self) -> str:
        return self.text["text"]


def matches(query: Query, doc: Document, now: str) -> bool:
    return all(any(_term_matches(term, doc, now) for term in group) for group in query.groups)


def _term_matches(term: Term, doc: Document, now: str) -> bool:
    return _raw_matches(term, doc, now) != term.negate


def _raw_matches(term: Term, doc: Document, now: str) -> bool:
    if term.match_all:
        return True
    name = term.field
    if term.range is not None:
        return _in_range(doc.ranges.get(name) if name in RANGE_FIELDS else None, term.range, now)
    if name in RANGE_FIELDS:
        value = str(doc.ranges.get(name, ""))
        return any(v == "*" or value.startswith(v) for v in term.values)
    if name is None or name in TEXT_FIELDS:
        text = doc.text.get(name or "text", "")
        return any(_text_matches(text, value) for value in term.values)
    have = doc.exact.get(name, set())
    for value in term.values:
        if value == "*":
            if have:
                return True
            continue
        wanted = fold(value)
        if wanted.endswith("*"):
            if any(h.startswith(wanted[:-1]) for h in have):
                return True
        elif wanted in have:
            return True
    return False


def _text_matches(text: str, value: str) -> bool:
    words = fold(value).split()
    return all((w[:-1] if w.endswith("*") else w) in text for w in words)


def _in_range(value, bounds: tuple[str, str], now: str) -> bool:
    if value is None:
        return False
    low, high = (now if b.upper().startswith("NOW") else b for b in bounds)
    if isinstance(value, int):
        low_ok = low == "*" or value >= int(low)
        high_ok = high == "*" or value <= int(high)
        return low_ok and high_ok
    value = str(value)
    # ISO timestamps compare as text once the zone letter is gone.
    low, high = low.rstrip("Z"), high.rstrip("Z")
    return (low == "*" or value >= low) and (high == "*" or value <= high)


def score(words: list[str], doc: Document) -> int:
    """Relevance: words found in the title count most, then tags, then anywhere."""
    total = 0
    for word in words:
        word = word.rstrip("*")
        if word in doc.text.get("title", ""):
            total += 4
        if any(word in tag for tag in doc.exact.get("tags", ())):
            total += 2
        if word in doc.all_text:
            total += 1
    return total
