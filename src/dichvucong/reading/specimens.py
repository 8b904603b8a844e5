"""Rendered papers with known fields, photographed-looking, for the tests and
``bench/bench_ocr.py``: a citizen identity card's front laid out as the 2021 card's (the
national emblem and the photo as grey boxes), then turned, blurred, grained and saved as a
low-quality JPEG as a phone would, or framed too close (a side cut off); and a hospital's birth
notice (giấy chứng sinh), as a flat scan. Nothing here is a real person's."""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from datetime import date

from PIL import Image, ImageDraw, ImageFilter, ImageFont

DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
DEJAVU_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
FAMILY_NAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Hoàng", "Võ", "Đặng", "Bùi", "Đỗ"]
MIDDLE_NAMES = ["Văn", "Thị", "Minh", "Ngọc", "Hữu", "Thanh", "Đức", "Thu"]
GIVEN_NAMES = ["An", "Bích", "Cường", "Dũng", "Hạnh", "Hùng", "Khánh", "Lộc", "Ngọc", "Phượng",
               "Quý", "Sơn", "Thảo", "Tuấn", "Vân", "Yến"]


@dataclass(frozen=True)
class Specimen:
    id_number: str
    full_name: str
    date_of_birth: date
    angle: float
    blur: float
    quality: int
    cut: float = 0.0  # the share of the card's width left out of the photo, on the right

    @property
    def fields(self) -> dict[str, str]:
        return {"id_number": self.id_number, "full_name": self.full_name,
                "date_of_birth": self.date_of_birth.isoformat()}


def random_specimen(rng: random.Random, hard: bool = True) -> Specimen:
    born = date(rng.randint(1950, 2006), rng.randint(1, 12), rng.randint(1, 28))
    number = "048" + rng.choice("0123") + f"{born.year % 100:02d}" + f"{rng.randrange(10**6):06d}"
    name = " ".join([rng.choice(FAMILY_NAMES), rng.choice(MIDDLE_NAMES),
                     rng.choice(GIVEN_NAMES)])
    return Specimen(number, name, born, angle=rng.uniform(-8, 8) if hard else 0.0,
                    blur=rng.uniform(0.3, 1.6) if hard else 0.0,
                    quality=rng.randint(40, 85) if hard else 90)


def card(specimen: Specimen) -> Image.Image:
    def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
        return ImageFont.truetype(DEJAVU_BOLD if bold else DEJAVU, size)

    image = Image.new("RGB", (1012, 638), (232, 240, 236))
    draw = ImageDraw.Draw(image)
    draw.ellipse((40, 24, 140, 124), fill=(200, 60, 50))  # the emblem's place
    draw.text((250, 30), "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", font=font(26, True), fill=20)
    draw.text((330, 66), "Độc lập - Tự do - Hạnh phúc", font=font(24), fill=20)
    draw.text((330, 110), "CĂN CƯỚC CÔNG DÂN", font=font(36, True), fill=(160, 20, 20))
    draw.rectangle((40, 170, 260, 450), fill=(190, 190, 190))  # the photo's place
    draw.text((290, 180), "Số / No.: " + specimen.id_number, font=font(30, True), fill=0)
    draw.text((290, 240), "Họ và tên / Full name:", font=font(22), fill=0)
    draw.text((290, 272), specimen.full_name.upper(), font=font(32, True), fill=0)
    draw.text((290, 330), "Ngày sinh / Date of birth: "
              + specimen.date_of_birth.strftime("%d/%m/%Y"), font=font(24), fill=0)
    draw.text((290, 380), "Giới tính / Sex: Nam   Quốc tịch / Nationality: Việt Nam",
              font=font(22), fill=0)
    draw.text((290, 430), "Quê quán / Place of origin: Hải Châu, Đà Nẵng", font=font(22),
              fill=0)
    return image


def photograph(image: Image.Image, specimen: Specimen, seed: int = 0) -> bytes:
    """The card on a table, turned, slightly out of focus, grainy, saved as a phone's JPEG."""
    table = Image.new("RGB", (image.width + 240, image.height + 240), (96, 84, 72))
    table.paste(image, (120, 120))
    table = table.rotate(specimen.angle, resample=Image.BICUBIC, fillcolor=(96, 84, 72))
    if specimen.blur:
        table = table.filter(ImageFilter.GaussianBlur(specimen.blur))
    if specimen.cut:  # framed too close: the card's right part is out of the photo
        table = table.crop((0, 0, 120 + round(image.width * (1 - specimen.cut)), table.height))
    grain = Image.effect_noise(table.size, 24).convert("RGB")
    table = Image.blend(table, grain, 0.08)
    out = io.BytesIO()
    table.save(out, "JPEG", quality=specimen.quality)
    return out.getvalue()


def photographed_card(specimen: Specimen) -> bytes:
    return photograph(card(specimen), specimen)


def birth_notice(mother: str, mother_id: str, born: date) -> bytes:
    """A hospital's birth notice (giấy chứng sinh) with the labels of the form annexed to
    Thông tư 56/2017/TT-BYT (``papers.py`` says what was checked), scanned flat as a PNG."""
    image = Image.new("L", (1240, 760), 255)
    draw = ImageDraw.Draw(image)
    regular = ImageFont.truetype(DEJAVU, 28)
    lines = [("BỆNH VIỆN PHỤ SẢN - NHI ĐÀ NẴNG", True), ("GIẤY CHỨNG SINH", True),
             (f"Họ và tên mẹ/Người nuôi dưỡng: {mother}", False),
             ("Năm sinh: 1994   Dân tộc: Kinh", False),
             (f"Giấy CMND/Thẻ căn cước/Hộ chiếu số: {mother_id}", False),
             (f"Đã sinh con vào lúc: 8 giờ 30 phút, ngày {born.day:02d} tháng "
              f"{born.month:02d} năm {born.year}", False),
             ("Số con trong lần sinh này: 1   Giới tính của con: Nam   Cân nặng: 3200 gam",
              False)]
    for index, (text, bold) in enumerate(lines):
        draw.text((80, 60 + index * 90), text, fill=0,
                  font=ImageFont.truetype(DEJAVU_BOLD, 34) if bold else regular)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()
