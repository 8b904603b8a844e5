"""Issue #23 item 2: reading uploaded papers. The rules (``reading/papers.py``) on texts as the
engine gives them, then the engine (Tesseract with its Vietnamese model) on a rendered card
photographed askew, blurred and grainy, whose fields are known."""

from __future__ import annotations

import dataclasses
import io
import random

import pytest
from PIL import Image

from dichvucong.reading import engine, papers, specimens
from tests.conftest import require_component

# What Tesseract gave for a photographed card: accents lost, a label misread.
READ = """CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
CĂN CƯỚC CÔNG DÂN
Số /No-: 048190012345
Họ và tên / FUJ| NAME
NGUYÊN THỊ BÍCH NGỌC
Ngày sinh / Date of bith 05/03/1990"""
FORM = {"id_number": "048190012345", "full_name": "Nguyễn Thị Bích Ngọc",
        "date_of_birth": "1990-03-05"}


def test_a_card_is_recognised_and_its_fields_taken():
    paper = papers.find(READ)
    assert paper.kind == papers.CCCD
    assert paper.fields == {"id_number": "048190012345", "full_name": "NGUYÊN THỊ BÍCH NGỌC",
                            "date_of_birth": "1990-03-05"}
    assert papers.compare(paper, FORM) == []  # a lost accent is no mismatch


@pytest.mark.parametrize(("field", "other"), [
    ("id_number", "048190099999"), ("full_name", "Trần Văn Hùng"),
    ("date_of_birth", "1990-03-06")])
def test_another_persons_card_is_a_mismatch(field, other):
    mismatches = papers.compare(papers.find(READ), {**FORM, field: other})
    assert [m.field for m in mismatches] == [field]
    assert "trên tờ khai là" in mismatches[0].sentence


def test_a_certificate_names_on_the_label_line_and_nothing_is_invented():
    text = "GIẤY KHAI SINH\nHọ, chữ đệm và tên: Lê Minh Khôi\nNgày, tháng, năm sinh: 7/1/2025"
    paper = papers.find(text)
    assert paper.kind == papers.BIRTH_CERTIFICATE
    assert paper.fields == {"full_name": "LÊ MINH KHÔI", "date_of_birth": "2025-01-07"}
    assert papers.find("một tờ giấy trắng").fields == {}
    assert papers.compare(papers.find("một tờ giấy trắng"), FORM) == []  # unread ≠ mismatch
    assert papers.find("Ngày sinh: 31/02/1990").fields == {}  # no such day


def test_the_engine_reads_a_photographed_card():
    require_component("Tesseract with its Vietnamese model", engine.available(),
                      "apt-get install tesseract-ocr tesseract-ocr-vie (./run tests does)")
    specimen = specimens.random_specimen(random.Random(3))
    specimen = dataclasses.replace(specimen, angle=7.0, blur=1.2, quality=45)
    reading = engine.read(specimens.photographed_card(specimen), "jpeg")
    assert abs(reading.angle + 7.0) <= 1.0  # turned straight before reading
    paper = papers.find(reading.text)
    assert paper.kind == papers.CCCD and papers.compare(paper, specimen.fields) == []
    assert set(paper.fields) == {"id_number", "full_name", "date_of_birth"}
    assert not papers.needs_retake(reading.confidence, reading.words)
    # A photo too blurred to read asks for another, and claims nothing.
    blurred = dataclasses.replace(specimen, blur=6.0)
    reading = engine.read(specimens.photographed_card(blurred), "jpeg")
    paper = papers.find(reading.text)
    assert papers.needs_retake(reading.confidence, reading.words) or not paper.fields
    assert reading.blurred and papers.BLURRED in papers.problems(
        reading.confidence, reading.words, reading.blurred, reading.cut)


def test_a_birth_notice_and_residence_papers_are_told_by_their_labels():
    text = """GIẤY CHỨNG SINH
Họ và tên mẹ/Người nuôi dưỡng: Trần Thị Vân
Giấy CMND/Thẻ căn cước/Hộ chiếu số: 048195001234 Ngày cấp: 01/02/2021
Họ và tên cha: Lê Văn Hùng
Đã sinh con vào lúc: 8 giờ 30 phút, ngày 05 tháng 03 năm 2025"""
    paper = papers.find(text)
    assert paper == papers.Paper(papers.BIRTH_NOTICE, {
        "mother_name": "TRẦN THỊ VÂN", "mother_id_number": "048195001234",
        "child_date_of_birth": "2025-03-05"})  # the father's name is not taken for anyone's
    [wrong] = papers.compare(paper, {"mother_name": "Tran Thi Van",
                                     "child_date_of_birth": "2025-03-06"})
    assert wrong.sentence == ("Ngày sinh của con trên giấy tờ là «05/03/2025», trên tờ khai là "
                              "«06/03/2025».")
    residence = papers.find("XÁC NHẬN THÔNG TIN VỀ CƯ TRÚ\nHọ, chữ đệm và tên: Lê Minh Khôi\n"
                            "Ngày, tháng, năm sinh: 07/01/1990")
    assert residence.kind == papers.RESIDENCE and residence.fields["full_name"] == "LÊ MINH KHÔI"


def test_blur_and_a_cut_edge_are_measured_without_reading():
    specimen = specimens.random_specimen(random.Random(4), hard=False)
    sharp = Image.open(io.BytesIO(specimens.photographed_card(specimen)))
    blurred = Image.open(io.BytesIO(specimens.photographed_card(
        dataclasses.replace(specimen, blur=3.0))))
    assert engine.sharpness(sharp) >= engine.BLURRED_BELOW > engine.sharpness(blurred)
    # A word 5 px from the right edge of a 1000×600 photo is cut; one in the middle is not,
    # also once the page was turned 6° to be read (the mask turns with it).
    assert engine._touches_edge([(960, 300, 35, 20)], (1000, 600), 0.0)
    assert not engine._touches_edge([(400, 300, 100, 20)], (1000, 600), 0.0)
    assert not engine._touches_edge([(450, 330, 100, 20)], (1000, 600), 6.0)
    assert engine._touches_edge([(1020, 300, 20, 20)], (1000, 600), 6.0)
    assert papers.problems(90.0, 60, blurred=False, cut=True) == [papers.CUT]
    assert papers.problems(20.0, 3, blurred=True, cut=False) == [papers.BLURRED,
                                                                 papers.UNREADABLE]
