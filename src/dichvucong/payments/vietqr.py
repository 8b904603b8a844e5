"""VietQR: the EMVCo merchant-presented QR that every Vietnamese banking app reads to make a NAPAS
247 transfer (docs/architecture.md «Integrations»). Plain Python: build, parse with every check,
draw.

A payload is a list of TLV fields — two-digit ID, two-digit decimal length, value — with nested
TLVs in the merchant account (38) and additional data (62), and a CRC-16/CCITT-FALSE (poly
0x1021, init 0xFFFF, no reflection, xorout 0) over the whole string up to and including "6304",
written as four uppercase hex digits.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import segno

NAPAS_GUID = "A000000727"
TO_ACCOUNT = "QRIBFTTA"
TO_CARD = "QRIBFTTC"
STATIC, DYNAMIC = "11", "12"
CURRENCY_VND = "704"
COUNTRY = "VN"
PURPOSE_MAX = 25  # EMVCo: purpose of transaction, up to 25 characters
BANKS = {"970415": "VietinBank", "970416": "ACB", "970422": "MB", "970436": "Vietcombank"}


class VietQRError(ValueError):
    """A payload that breaks the EMVCo or VietQR rules; the message says which."""


def crc16(data: str) -> str:
    """CRC-16/CCITT-FALSE of the UTF-8 bytes, as four uppercase hex digits."""
    crc = 0xFFFF
    for byte in data.encode("utf-8"):
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return f"{crc:04X}"


def tlv(tag: str, value: str) -> str:
    if len(tag) != 2 or not tag.isdigit():
        raise VietQRError(f"mã trường {tag!r} phải gồm hai chữ số")
    if not 0 < len(value) <= 99:
        raise VietQRError(f"trường {tag} dài {len(value)} ký tự, phải từ 1 đến 99")
    return f"{tag}{len(value):02d}{value}"


def split(data: str) -> list[tuple[str, str]]:
    """TLV fields in order; raises on a malformed length."""
    fields = []
    at = 0
    while at < len(data):
        head = data[at:at + 4]
        if len(head) < 4 or not head.isdigit():
            raise VietQRError(f"trường không hợp lệ tại vị trí {at}: {data[at:at + 4]!r}")
        tag, length = head[:2], int(head[2:])
        value = data[at + 4:at + 4 + length]
        if len(value) != length:
            raise VietQRError(f"trường {tag} khai dài {length} nhưng chỉ còn {len(value)} ký tự")
        fields.append((tag, value))
        at += 4 + length
    return fields


def build(*, bank_bin: str, account: str, amount: int | None = None, purpose: str = "",
          to_card: bool = False) -> str:
    """The payload for a transfer to ``account`` at the bank ``bank_bin``; with an amount it is
    dynamic (point of initiation 12), without one static (11)."""
    if not re.fullmatch(r"\d{6}", bank_bin):
        raise VietQRError("mã BIN ngân hàng phải gồm 6 chữ số")
    if not re.fullmatch(r"[0-9A-Za-z]{1,19}", account):
        raise VietQRError("số tài khoản chỉ gồm chữ và số, tối đa 19 ký tự")
    if purpose and not re.fullmatch(rf"[0-9A-Za-z .\-]{{1,{PURPOSE_MAX}}}", purpose):
        raise VietQRError("nội dung chuyển khoản không dấu, tối đa 25 ký tự")
    beneficiary = tlv("00", bank_bin) + tlv("01", account)
    merchant = tlv("00", NAPAS_GUID) + tlv("01", beneficiary) + tlv(
        "02", TO_CARD if to_card else TO_ACCOUNT)
    parts = [tlv("00", "01"), tlv("01", DYNAMIC if amount else STATIC), tlv("38", merchant),
             tlv("53", CURRENCY_VND)]
    if amount:
        if amount < 0 or amount > 9_999_999_999_999:
            raise VietQRError("số tiền không hợp lệ")
        parts.append(tlv("54", str(int(amount))))
    parts.append(tlv("58", COUNTRY))
    if purpose:
        parts.append(tlv("62", tlv("08", purpose)))
    body = "".join(parts) + "6304"
    return body + crc16(body)


@dataclass(frozen=True)
class Transfer:
    bank_bin: str
    account: str
    service: str
    amount: int | None
    purpose: str
    dynamic: bool

    @property
    def bank_name(self) -> str:
        return BANKS.get(self.bank_bin, self.bank_bin)


def parse(payload: str) -> Transfer:
    """Read a VietQR payload back, checking the EMVCo rules and the CRC first."""
    if len(payload) < 8 or payload[-8:-4] != "6304":
        raise VietQRError("thiếu trường CRC (63) ở cuối chuỗi")
    expected = crc16(payload[:-4])
    if payload[-4:] != expected:
        raise VietQRError(f"CRC sai: chuỗi ghi {payload[-4:]}, tính lại được {expected}")
    fields = split(payload)
    tags = [tag for tag, _ in fields]
    if tags[0] != "00" or fields[0][1] != "01":
        raise VietQRError("trường đầu tiên phải là 00 (phiên bản dữ liệu) = 01")
    if tags[-1] != "63" or tags.count("63") != 1:
        raise VietQRError("trường CRC (63) phải là trường cuối, một lần")
    if len(set(tags)) != len(tags):
        raise VietQRError("một mã trường xuất hiện hai lần")
    values = dict(fields)
    if values.get("01") not in (STATIC, DYNAMIC):
        raise VietQRError("phương thức khởi tạo (01) phải là 11 hoặc 12")
    if values.get("53") != CURRENCY_VND:
        raise VietQRError("mã tiền tệ (53) phải là 704 (VND)")
    if values.get("58") != COUNTRY:
        raise VietQRError("mã quốc gia (58) phải là VN")
    if "38" not in values:
        raise VietQRError("thiếu thông tin tài khoản nhận (38)")
    merchant = dict(split(values["38"]))
    if merchant.get("00") != NAPAS_GUID:
        raise VietQRError(f"định danh NAPAS (38/00) phải là {NAPAS_GUID}")
    beneficiary = dict(split(merchant.get("01", "")))
    if not re.fullmatch(r"\d{6}", beneficiary.get("00", "")):
        raise VietQRError("mã BIN ngân hàng (38/01/00) phải gồm 6 chữ số")
    if not beneficiary.get("01"):
        raise VietQRError("thiếu số tài khoản (38/01/01)")
    if merchant.get("02") not in (TO_ACCOUNT, TO_CARD):
        raise VietQRError("mã dịch vụ (38/02) phải là QRIBFTTA hoặc QRIBFTTC")
    amount = None
    if "54" in values:
        if not values["54"].isdigit():
            raise VietQRError("số tiền (54) phải là số nguyên đồng")
        amount = int(values["54"])
    dynamic = values["01"] == DYNAMIC
    if dynamic and amount is None:
        raise VietQRError("mã QR động (12) phải có số tiền (54)")
    purpose = dict(split(values["62"])).get("08", "") if "62" in values else ""
    return Transfer(bank_bin=beneficiary["00"], account=beneficiary["01"],
                    service=merchant["02"], amount=amount, purpose=purpose, dynamic=dynamic)


def qr_svg(payload: str, title: str = "") -> str:
    """An SVG image of the QR code, for the page (inline, no file)."""
    return segno.make(payload, error="m", micro=False).svg_inline(
        scale=5, border=4, title=title or None, svgclass="vietqr", lineclass=None,
        omitsize=True)


def qr_png(payload: str, scale: int = 8) -> bytes:
    out = io.BytesIO()
    segno.make(payload, error="m", micro=False).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()
