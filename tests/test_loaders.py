"""The catalogue loaders: the real seed data loads, keeps what the portal states, and a malformed
record is rejected by name, loading nothing."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dichvucong.catalog import loaders
from dichvucong.catalog.definition import Channel, Level, TimeUnit
from dichvucong.catalog.loaders import CatalogLoadError, parse_fee_label, parse_time_limit


@pytest.fixture(scope="module")
def catalogue():
    return {d.code: d for d in loaders.read_catalogue()}


def test_catalogue_has_the_real_size(catalogue):
    # The national index has 1,601 province- or commune-level procedures; the full records and
    # the curated city records add the driving licences and the city's local procedures.
    assert 1600 <= len(catalogue) <= 1800
    levels = {lvl for d in catalogue.values() for lvl in d.levels}
    assert levels == {Level.PROVINCE, Level.COMMUNE}


def test_per_channel_limits_keep_their_units(catalogue):
    passport = catalogue["1.001456"]
    online = passport.channel(Channel.ONLINE)
    assert online.time_limit.value == Decimal(8)
    assert online.time_limit.unit == TimeUnit.WORKING_DAYS
    assert online.fee.amount == 160000
    in_person = passport.channel(Channel.IN_PERSON)
    assert in_person.fee.amount == 200000
    assert "Thông tư số 25/2021/TT-BTC" in in_person.fee.note
    # A bare number stays a bare number: the portal does not state the unit.
    unstated = [d for d in catalogue.values()
                if any(c.time_limit and c.time_limit.unit == TimeUnit.UNSTATED
                       for c in d.channels)]
    assert unstated


def test_fee_note_is_kept_beside_a_free_label(catalogue):
    licence = catalogue["3.000347"]
    fee = licence.channel(Channel.IN_PERSON).fee
    assert fee.label == "Miễn phí"
    assert "135.000" in fee.note


def test_curated_record_lays_over_the_national_one(catalogue):
    birth = catalogue["1.001193"]
    assert birth.name == "Đăng ký khai sinh"
    assert birth.processing.same_day and birth.processing.cutoff == "15:00"
    assert birth.online_mode.value == "full"
    assert [d.name for d in birth.documents][0] == "Tờ khai đăng ký khai sinh"
    # The national per-channel data is still there beneath the curated processing rule.
    assert birth.channels


def test_local_codes_for_curated_records_without_a_national_code(catalogue):
    local = [d for d in catalogue.values() if d.code.startswith("DNG.")]
    assert any(d.name == "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam" for d in local)


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("5 Ngày làm việc", Decimal(5), TimeUnit.WORKING_DAYS),
        ("7 Ngày", Decimal(7), TimeUnit.DAYS),
        ("4 Giờ", Decimal(4), TimeUnit.HOURS),
        ("0,5 Ngày làm việc", Decimal("0.5"), TimeUnit.WORKING_DAYS),
        ("1 (unit not stated on portal)", Decimal(1), TimeUnit.UNSTATED),
        ("3 Tháng", Decimal(3), TimeUnit.MONTHS),
    ],
)
def test_parse_time_limit(text, value, unit):
    limit = parse_time_limit(text, ("f", "r", "x"))
    assert (limit.value, limit.unit, limit.text) == (value, unit, text)


def test_parse_time_limit_rejects_text_without_a_number():
    with pytest.raises(CatalogLoadError, match="không có số"):
        parse_time_limit("Ngày làm việc", ("tthc_index.csv", "dòng 9", "truc_tiep_thoi_han"))


@pytest.mark.parametrize(
    ("label", "amount", "currency"),
    [
        ("Miễn phí", 0, "VND"),
        ("50,000 Việt Nam Đồng", 50000, "VND"),
        ("100,000 VNĐ", 100000, "VND"),
        ("10 USD", None, "USD"),
        ("Theo quy định", None, "VND"),
    ],
)
def test_parse_fee_label(label, amount, currency):
    fee = parse_fee_label(label)
    assert (fee.amount, fee.currency, fee.label) == (amount, currency, label)


@given(st.integers(min_value=0, max_value=10**12))
def test_fee_amounts_round_trip(amount):
    label = f"{amount:,} Việt Nam Đồng"
    assert parse_fee_label(label).amount == amount


def _copy_data(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(loaders.DATA_DIR, target)
    return target


def _replace_line(path: Path, index: int, old: str, new: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    assert old in lines[index]
    lines[index] = lines[index].replace(old, new, 1)
    path.write_text("".join(lines), encoding="utf-8")


def test_malformed_time_limit_is_named(tmp_path):
    data = _copy_data(tmp_path)
    csv_path = data / "tthc_index.csv"
    line = csv_path.read_text(encoding="utf-8").splitlines()[3]  # 1.000236, three channels
    assert "3 Ngày làm việc" in line
    _replace_line(csv_path, 3, "3 Ngày làm việc", "ba ngày")
    with pytest.raises(CatalogLoadError) as error:
        loaders.read_catalogue(data)
    message = str(error.value)
    assert "tthc_index.csv" in message and "dòng 4 (1.000236)" in message
    assert "truc_tuyen_thoi_han" in message


def test_unknown_level_is_named(tmp_path):
    data = _copy_data(tmp_path)
    csv_path = data / "tthc_index.csv"
    _replace_line(csv_path, 3, "Cấp bộ", "Cấp huyện")
    with pytest.raises(CatalogLoadError, match=r"cap_thuc_hien.*Cấp huyện"):
        loaders.read_catalogue(data)


def test_bad_code_in_full_records_is_named(tmp_path):
    data = _copy_data(tmp_path)
    path = data / "tthc_local_detail.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    record = json.loads(lines[4])
    record["ma_thu_tuc"] = "khai-sinh"
    lines[4] = json.dumps(record, ensure_ascii=False)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(CatalogLoadError) as error:
        loaders.read_catalogue(data)
    assert error.value.source == "tthc_local_detail.jsonl"
    assert error.value.record == "dòng 5 (khai-sinh)"
    assert error.value.field == "code"


def test_broken_json_line_is_named(tmp_path):
    data = _copy_data(tmp_path)
    path = data / "tthc_local_detail.jsonl"
    with path.open("a", encoding="utf-8") as handle:
        handle.write('{"ma_thu_tuc": "1.000001", \n')
    with pytest.raises(CatalogLoadError, match=r"dòng 156.*JSON"):
        loaders.read_local_detail(path)


def test_curated_record_missing_a_field_is_named(tmp_path):
    data = _copy_data(tmp_path)
    path = data / "procedures.json"
    content = json.loads(path.read_text(encoding="utf-8"))
    del content["procedures"][2]["field"]
    path.write_text(json.dumps(content, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(CatalogLoadError) as error:
        loaders.read_curated(path)
    assert error.value.record.startswith("#3 ")
    assert error.value.field == "field"


def test_missing_column_is_named(tmp_path):
    data = _copy_data(tmp_path)
    path = data / "tthc_index.csv"
    text = path.read_text(encoding="utf-8").replace("linh_vuc", "linhvuc", 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogLoadError, match="linh_vuc"):
        loaders.read_national_index(path)


def test_announcement_titles_are_left_out(catalogue, caplog):
    # 2.001428 and 3.000226 carry a Hà Tĩnh decision's title instead of a procedure name.
    assert "2.001428" not in catalogue and "3.000226" not in catalogue
    assert not [d for d in catalogue.values() if "\n" in d.name]
    with caplog.at_level("WARNING"):
        loaders.read_local_detail()
    assert "2.001428" in caplog.text
