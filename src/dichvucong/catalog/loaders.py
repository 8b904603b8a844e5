"""Readers of the procedure catalogue sources. Plain Python: files in, definitions out.

Each reader validates every record and raises ``CatalogLoadError`` naming the record and the field
of the first bad one; it never returns part of a bad file. Writing to the database is
``services.import_definitions``, which is all-or-nothing too.

Sources (see ``data/SOURCES.md``): the national index (CSV), full national records (JSON lines)
and the curated city records (JSON). ``merge`` lays them over each other by procedure code.
"""

from __future__ import annotations

import csv
import json
import logging
import re
import zlib
from collections.abc import Iterable, Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from dichvucong.catalog.definition import (
    Channel,
    ChannelFee,
    ChannelOption,
    CopyType,
    Fee,
    Level,
    OnlineMode,
    ProcedureDefinition,
    Processing,
    Source,
    TimeLimit,
    TimeUnit,
    mentions_money,
)

DATA_DIR = Path(__file__).resolve().parent / "data"
logger = logging.getLogger(__name__)


def is_announcement_title(name: str) -> bool:
    """The national data has a few records whose name is the title of the decision announcing
    a list of procedures ("Công bố Danh mục và Quy trình nội bộ …"), not a procedure's name.
    They are left out of the catalogue, with a warning naming them."""
    return " ".join(name.split()).lower().startswith("công bố danh mục")


class CatalogLoadError(ValueError):
    """A record of a catalogue file is malformed. The message names the record and field."""

    def __init__(self, source: str, record: str, field: str, problem: str):
        self.source, self.record, self.field, self.problem = source, record, field, problem
        super().__init__(f"{source}, bản ghi {record}, trường '{field}': {problem}")


LEVELS = {"Cấp tỉnh": Level.PROVINCE, "Cấp xã": Level.COMMUNE}
KNOWN_LEVELS = {"Cấp tỉnh", "Cấp xã", "Cấp bộ", "Cơ quan khác"}
TIME_UNITS = {
    "ngày làm việc": TimeUnit.WORKING_DAYS,
    "ngày": TimeUnit.DAYS,
    "giờ": TimeUnit.HOURS,
    "tháng": TimeUnit.MONTHS,
    "(unit not stated on portal)": TimeUnit.UNSTATED,
    "": TimeUnit.UNSTATED,
}
CHANNEL_PREFIXES = {
    "truc_tuyen": Channel.ONLINE,
    "truc_tiep": Channel.IN_PERSON,
    "buu_chinh": Channel.POST,
}
CHANNEL_MODES = {
    "Trực tuyến": Channel.ONLINE,
    "Trực tiếp": Channel.IN_PERSON,
    "Dịch vụ bưu chính": Channel.POST,
}
_TIME = re.compile(r"^(\d+(?:[.,]\d+)?)\s*(.*)$")
_MONEY = re.compile(r"^([\d.,]+)\s*(Việt Nam Đồng|VNĐ|VND|đồng|đ|USD)$", re.IGNORECASE)
_COPIES = re.compile(r"(\d+)\s*bản\s*(chính|sao)", re.IGNORECASE)


def parse_time_limit(text: str, where: tuple[str, str, str]) -> TimeLimit | None:
    """'5 Ngày làm việc' → TimeLimit(5, working_days). Empty → None."""
    text = (text or "").strip()
    if not text:
        return None
    match = _TIME.match(text)
    if not match:
        raise CatalogLoadError(*where, f"thời hạn '{text}' không có số")
    unit_text = match.group(2).strip().lower()
    if unit_text not in TIME_UNITS:
        raise CatalogLoadError(*where, f"đơn vị thời hạn '{match.group(2)}' không rõ")
    try:
        value = Decimal(match.group(1).replace(",", "."))
    except InvalidOperation as exc:  # pragma: no cover - the regex admits only numbers
        raise CatalogLoadError(*where, f"thời hạn '{text}' không phải số") from exc
    return TimeLimit(value=value, unit=TIME_UNITS[unit_text], text=text)


def parse_fee_label(label: str, note: str = "") -> ChannelFee | None:
    """The portal's fee label: 'Miễn phí' → 0; '50,000 Việt Nam Đồng' → 50000; other text kept."""
    label = (label or "").strip()
    if not label and not note:
        return None
    if label.lower() in {"miễn phí", "miễn lệ phí", "không", "0"}:
        return ChannelFee(amount=0, label=label, note=note)
    match = _MONEY.match(label)
    if match:
        digits = re.sub(r"[.,]", "", match.group(1))
        if match.group(2).upper() == "USD":
            return ChannelFee(amount=None, currency="USD", label=label, note=note)
        return ChannelFee(amount=int(digits), label=label, note=note)
    return ChannelFee(amount=None, label=label, note=note)


def _levels(raw: Iterable[str], where: tuple[str, str, str]) -> list[Level]:
    levels = []
    for item in raw:
        item = item.strip()
        if item not in KNOWN_LEVELS:
            raise CatalogLoadError(*where, f"cấp thực hiện '{item}' không rõ")
        if item in LEVELS:
            levels.append(LEVELS[item])
    return levels


def _processing_from_channels(channels: list[ChannelOption]) -> Processing:
    by_channel = {c.channel: c for c in channels}
    counter = by_channel.get(Channel.IN_PERSON) or by_channel.get(Channel.POST)
    online = by_channel.get(Channel.ONLINE)
    base = counter.time_limit if counter and counter.time_limit else None
    online_limit = online.time_limit if online and online.time_limit else None
    if base is None:
        base, online_limit = online_limit, None
    if online_limit is not None and base is not None and online_limit == base:
        online_limit = None
    return Processing(time_limit=base, online_time_limit=online_limit)


def _fees_from_channels(channels: list[ChannelOption]) -> list[Fee]:
    by_channel = {c.channel: c.fee for c in channels if c.fee is not None}
    counter = by_channel.get(Channel.IN_PERSON) or by_channel.get(Channel.POST)
    online = by_channel.get(Channel.ONLINE)
    main = counter or online
    if main is None:
        return []
    if main.amount is None:
        # The portal states the fee only in words («10 USD», an amount in its note): a fee row
        # whose amount is «chưa công bố» keeps those words on the page, in the designer's
        # hands, and charges nothing until an official sets it.
        return [Fee(name="Phí, lệ phí", amount=0, amount_unknown=True,
                    note=main.note or main.label)]
    online_amount = online.amount if online is not None else None
    note = main.note if main.note else ""
    return [Fee(name="Phí, lệ phí", amount=main.amount, online_amount=online_amount, note=note)]


def _validate(source: str, record: str, data: dict[str, Any]) -> ProcedureDefinition:
    try:
        return ProcedureDefinition.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(p) for p in error["loc"]) or "(bản ghi)"
        raise CatalogLoadError(source, record, field, error["msg"]) from exc


def read_national_index(path: Path = DATA_DIR / "tthc_index.csv",
                        levels: set[Level] | None = None) -> list[ProcedureDefinition]:
    """The national catalogue index; only procedures done at ``levels`` (default: province and
    commune, what a city runs)."""
    levels = levels or {Level.PROVINCE, Level.COMMUNE}
    source = path.name
    required = {"ma_thu_tuc", "ten_thu_tuc", "cap_thuc_hien", "linh_vuc"}
    definitions = []
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = required - set(reader.fieldnames or [])
        if missing:
            raise CatalogLoadError(source, "tiêu đề", ", ".join(sorted(missing)), "thiếu cột")
        for line, row in enumerate(reader, start=2):
            record = f"dòng {line} ({row.get('ma_thu_tuc') or '?'})"
            where = (source, record)
            row_levels = _levels((row["cap_thuc_hien"] or "").split(";"),
                                 (*where, "cap_thuc_hien"))
            # Every row is checked, also those of levels the city does not load: a malformed
            # file is rejected whole.
            channels = []
            for prefix, channel in CHANNEL_PREFIXES.items():
                limit = parse_time_limit(row.get(f"{prefix}_thoi_han", ""),
                                         (*where, f"{prefix}_thoi_han"))
                fee = parse_fee_label(row.get(f"{prefix}_phi", ""))
                if limit is not None or fee is not None:
                    channels.append(ChannelOption(channel=channel, time_limit=limit, fee=fee))
            has_online = any(c.channel == Channel.ONLINE for c in channels)
            definition = _validate(source, record, {
                "code": row["ma_thu_tuc"],
                "name": row["ten_thu_tuc"],
                "field": row["linh_vuc"],
                "levels": row_levels,
                "agency": row.get("co_quan_thuc_hien", ""),
                "ministry": row.get("bo_nganh", ""),
                "online_mode": OnlineMode.PARTIAL if has_online else OnlineMode.NONE,
                "channels": channels,
                "processing": _processing_from_channels(channels),
                "fees": _fees_from_channels(channels),
                "announcing_decision": row.get("so_quyet_dinh_cong_bo", ""),
                "sources": [Source(name="CSDL quốc gia về TTHC", url=row.get("source_url", ""))],
            } | ({} if row_levels else {"levels": [Level.PROVINCE]}))
            if is_announcement_title(definition.name):
                logger.warning("%s %s: tên là tiêu đề quyết định công bố, bỏ qua",
                               source, record)
            elif set(row_levels) & levels:
                definitions.append(definition)
    return definitions


def _copies(quantity: str) -> tuple[int, CopyType]:
    found = _COPIES.findall(quantity or "")
    if not found:
        return 1, CopyType.UNSPECIFIED
    count = sum(int(n) for n, _ in found)
    kinds = {k.lower() for _, k in found}
    kind = CopyType.ORIGINAL if kinds == {"chính"} else (
        CopyType.COPY if kinds == {"sao"} else CopyType.UNSPECIFIED)
    return count, kind


def read_local_detail(
    path: Path = DATA_DIR / "tthc_local_detail.jsonl",
) -> list[ProcedureDefinition]:
    """Full national records, one JSON object a line. A record done only at ministry level
    (driving licences) is kept at province level: the city's police does it since 2025."""
    source = path.name
    definitions = []
    with path.open(encoding="utf-8") as handle:
        for line_number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            record = f"dòng {line_number}"
            try:
                raw = json.loads(line)
            except json.JSONDecodeError as exc:
                raise CatalogLoadError(source, record, "(JSON)", str(exc)) from exc
            if not isinstance(raw, dict):
                raise CatalogLoadError(source, record, "(JSON)", "không phải một đối tượng")
            record = f"dòng {line_number} ({raw.get('ma_thu_tuc') or '?'})"
            where = (source, record)
            if is_announcement_title(str(raw.get("ten_thu_tuc") or "")):
                logger.warning("%s %s: tên là tiêu đề quyết định công bố, bỏ qua",
                               source, record)
                continue
            for key in ("ma_thu_tuc", "ten_thu_tuc", "linh_vuc", "cap_thuc_hien", "kenh_nop"):
                if key not in raw:
                    raise CatalogLoadError(*where, key, "thiếu trường bắt buộc")
            levels = _levels(raw["cap_thuc_hien"], (*where, "cap_thuc_hien")) or [Level.PROVINCE]
            channels = []
            for index, option in enumerate(raw["kenh_nop"]):
                mode = option.get("mode")
                if mode not in CHANNEL_MODES:
                    raise CatalogLoadError(*where, f"kenh_nop.{index}.mode",
                                           f"kênh '{mode}' không rõ")
                value = option.get("time_value")
                unit = option.get("time_unit") or ""
                text = f"{value} {unit}".strip() if value else ""
                limit = parse_time_limit(text, (*where, f"kenh_nop.{index}.time_value"))
                amount = (option.get("fee_amount")
                          if option.get("fee_currency", "VND") == "VND" else None)
                note = (option.get("fee_note") or "").strip()
                if amount == 0 and mentions_money(note):
                    # «Miễn phí» on the portal while its note gives the fee (driving licences:
                    # 135.000 đồng): the amount is not known to be zero.
                    amount = None
                fee = ChannelFee(
                    amount=amount,
                    currency=option.get("fee_currency") or "VND",
                    label=option.get("fee_label") or "",
                    note=note,
                )
                channels.append(ChannelOption(channel=CHANNEL_MODES[mode], time_limit=limit,
                                              fee=fee))
            documents = []
            for doc in raw.get("thanh_phan_ho_so") or []:
                copies, copy_type = _copies(doc.get("quantity", ""))
                documents.append({"name": doc.get("name", ""), "copies": copies,
                                  "copy_type": copy_type,
                                  "quantity_text": doc.get("quantity") or ""})
            has_online = any(c.channel == Channel.ONLINE for c in channels)
            definitions.append(_validate(source, record, {
                "code": raw["ma_thu_tuc"],
                "name": raw["ten_thu_tuc"],
                "field": raw["linh_vuc"],
                "levels": levels,
                "agency": raw.get("co_quan_thuc_hien") or "",
                "authority": raw.get("co_quan_co_tham_quyen") or "",
                "ministry": raw.get("bo_nganh_folder") or "",
                "procedure_type": raw.get("loai_thu_tuc") or "",
                "applicant_types": [t.strip() for t in
                                    (raw.get("doi_tuong_thuc_hien") or "").split(",") if t.strip()],
                "online_mode": OnlineMode.PARTIAL if has_online else OnlineMode.NONE,
                "channels": channels,
                "processing": _processing_from_channels(channels),
                "fees": _fees_from_channels(channels),
                "documents": documents,
                "legal_basis": raw.get("can_cu_phap_ly_so_hieu") or [],
                "results": [{"name": r} for r in raw.get("ket_qua") or [] if r],
                "announcing_decision": raw.get("so_quyet_dinh_cong_bo") or "",
                "sources": [Source(name="CSDL quốc gia về TTHC", url=raw.get("source_url") or "")],
            }))
    return definitions


def read_curated(path: Path = DATA_DIR / "procedures.json",
                 local_prefix: str = "DNG") -> list[ProcedureDefinition]:
    """The curated city catalogue. A record without a national code gets a local one."""
    source = path.name
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise CatalogLoadError(source, "(tệp)", "(JSON)", str(exc)) from exc
    if not isinstance(data, dict) or not isinstance(data.get("procedures"), list):
        raise CatalogLoadError(source, "(tệp)", "procedures", "thiếu danh sách thủ tục")
    definitions = []
    for index, raw in enumerate(data["procedures"], start=1):
        record = f"#{index} ({raw.get('code') or raw.get('name') or '?'})"
        where = (source, record)
        for key in ("name", "field", "level", "processing"):
            if key not in raw:
                raise CatalogLoadError(*where, key, "thiếu trường bắt buộc")
        if raw["level"] not in {"province", "commune"}:
            raise CatalogLoadError(*where, "level", f"cấp '{raw['level']}' không rõ")
        processing = raw["processing"]
        if processing.get("same_day"):
            proc = {"same_day": True, "cutoff": processing.get("cutoff"),
                    "time_limit": {"value": 0, "unit": "working_days", "text": "Trong ngày"}}
        elif "working_days" in processing:
            days = processing["working_days"]
            proc = {"time_limit": {"value": days, "unit": "working_days",
                                   "text": f"{days} ngày làm việc"}}
        else:
            raise CatalogLoadError(*where, "processing", "cần working_days hoặc same_day")
        # One fee row («fee») or several («fees»: a surcharge beside the main fee); every key
        # of the definition's Fee is carried, so nothing written in the file is dropped.
        rows = raw.get("fees") if isinstance(raw.get("fees"), list) else (
            [raw["fee"]] if raw.get("fee") else [])
        fees = [_curated_fee(fee) for fee in rows]
        documents = [
            {"name": d.get("name", ""), "mandatory": d.get("mandatory", True),
             "copies": d.get("copies", 1), "copy_type": d.get("copy_type", "unspecified"),
             "template": d.get("template", ""), "note": d.get("note", ""),
             "condition": d.get("note", "") if not d.get("mandatory", True) else "",
             "store_document_types": d.get("store_document_types") or [],
             **({"required_when": d["required_when"]} if d.get("required_when") else {})}
            for d in raw.get("documents") or []
        ]
        definitions.append(_validate(source, record, {
            "code": raw.get("code") or local_code(local_prefix, raw["name"]),
            "name": raw["name"],
            "field": raw["field"],
            "levels": [raw["level"]],
            "agency": raw.get("agency", ""),
            "online_mode": {"full": "full", "partial": "partial"}.get(raw.get("online"), "none"),
            "processing": proc,
            "fees": fees,
            "documents": documents,
            "legal_basis": raw.get("legal_basis") or [],
            "results": _curated_results(raw),
            "form": raw.get("form") or [],
            "workflow": raw.get("workflow") or [],
            "declaration": raw.get("declaration") or {},
            "reissue_from_store": bool(raw.get("reissue_from_store")),
            "presence_required": raw.get("presence_required") or "",
            "sources": [{"name": "Danh mục TTHC thành phố Đà Nẵng (biên soạn)",
                         "note": raw.get("verified", "")},
                        *([{"name": raw["form_source"], "note": raw.get("form_note", "")}]
                          if raw.get("form_source") else [])],
        }))
    return definitions


# Keys of a curated fee row that are not the definition's own (none today): anything else is
# passed to ``Fee``, which refuses an unknown key instead of silently dropping it.
def _curated_fee(fee: dict[str, Any]) -> dict[str, Any]:
    return {**fee, "name": fee.get("name") or "Phí, lệ phí", "amount": fee.get("amount", 0),
            "unit": fee.get("unit", "per_dossier"), "exemptions": fee.get("exemptions") or []}


def _curated_results(raw: dict[str, Any]) -> list[dict[str, Any]]:
    """A curated record's results: a list of result definitions (name, document type, body
    template …; ``template_source`` is where the layout comes from, kept out of the definition)
    or, in the short form, one result's name."""
    if isinstance(raw.get("results"), list):
        return [{k: v for k, v in result.items() if k != "template_source"}
                for result in raw["results"]]
    return [{"name": raw["result"]}] if raw.get("result") else []


def local_code(prefix: str, name: str) -> str:
    """A stable local code for a procedure the national catalogue does not list: derived from
    its name, so it survives a reordering of the source file."""
    return f"{prefix}.{zlib.crc32(name.encode('utf-8')) % 1_000_000:06d}"


def merge(*layers: Iterable[ProcedureDefinition]) -> list[ProcedureDefinition]:
    """Lay sources over each other by code, later layers winning field by field: a field the
    later source leaves empty keeps the earlier value (so the curated record's processing rule
    replaces the index's, while the index's per-channel limits stay)."""
    merged: dict[str, dict[str, Any]] = {}
    for layer in layers:
        for definition in layer:
            data = definition.model_dump(mode="json", exclude_unset=True)
            target = merged.setdefault(definition.code, {})
            for key, value in data.items():
                if value in (None, "", [], {}):
                    continue
                target[key] = value
    return [ProcedureDefinition.model_validate(data) for data in merged.values()]


def read_catalogue(data_dir: Path = DATA_DIR) -> list[ProcedureDefinition]:
    """The demo catalogue: the national index at province and commune level, the full national
    records over it, and the curated city records over both."""
    return merge(
        read_national_index(data_dir / "tthc_index.csv"),
        read_local_detail(data_dir / "tthc_local_detail.jsonl"),
        read_curated(data_dir / "procedures.json"),
    )


def iter_popular_codes(data_dir: Path = DATA_DIR) -> Iterator[tuple[str, int]]:
    """Codes with a popularity weight: curated city records first, in the file's order (it lists
    the most used first), then the full records of the procedures citizens use most."""
    for index, definition in enumerate(read_curated(data_dir / "procedures.json")):
        yield definition.code, 200 - index
    for definition in read_local_detail(data_dir / "tthc_local_detail.jsonl"):
        yield definition.code, 50
