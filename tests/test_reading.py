"""Issue #23 item 2: reading uploaded papers. The rules (``reading/papers.py``) on texts as the
engine gives them, then the engine (Tesseract with its Vietnamese model) on a rendered card
photographed askew, blurred and grainy, whose fields are known."""

from __future__ import annotations

import dataclasses
import random

import pytest

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
