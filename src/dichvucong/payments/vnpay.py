"""The VNPay payment gateway protocol, version 2.1.0 (docs/architecture.md
«Integrations»), with no Django:
the portal and the sandbox gateway (``sandbox.py``) both speak it through these functions.

Signature: every ``vnp_*`` parameter except ``vnp_SecureHash`` and ``vnp_SecureHashType`` with a
non-empty value, sorted by key, joined as ``key=quote_plus(value)`` with ``&``, HMAC-SHA512 with
the merchant's hash secret, lowercase hex. Spaces are ``+``: ``%20`` gives another hash.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import quote_plus, urlencode

VERSION = "2.1.0"
GMT7 = timezone(timedelta(hours=7))
DATE_FORMAT = "%Y%m%d%H%M%S"
# How long after vnp_CreateDate the gateway accepts a payment request (vnp_ExpireDate).
EXPIRE_MINUTES = 15
SIGNATURE_KEYS = {"vnp_SecureHash", "vnp_SecureHashType"}

RESPONSE_CODES = {
    "00": "Giao dịch thành công",
    "07": "Trừ tiền thành công, giao dịch bị nghi ngờ gian lận",
    "09": "Thẻ/tài khoản chưa đăng ký dịch vụ Internet Banking",
    "10": "Xác thực thông tin thẻ/tài khoản không đúng quá 3 lần",
    "11": "Hết hạn chờ thanh toán",
    "12": "Thẻ/tài khoản bị khóa",
    "13": "Nhập sai mật khẩu xác thực giao dịch (OTP)",
    "24": "Khách hàng hủy giao dịch",
    "51": "Tài khoản không đủ số dư",
    "65": "Tài khoản đã vượt quá hạn mức giao dịch trong ngày",
    "75": "Ngân hàng thanh toán đang bảo trì",
    "79": "Nhập sai mật khẩu thanh toán quá số lần quy định",
    "99": "Lỗi khác",
}
TRANSACTION_STATUSES = {
    "00": "Giao dịch thành công", "01": "Giao dịch chưa hoàn tất", "02": "Giao dịch bị lỗi",
    "04": "Giao dịch đảo", "05": "VNPay đang xử lý hoàn tiền",
    "06": "VNPay đã gửi yêu cầu hoàn tiền sang ngân hàng", "07": "Giao dịch bị nghi ngờ gian lận",
    "09": "Giao dịch hoàn trả bị từ chối",
}

# The IPN's JSON replies, in the order the checks are made.
IPN_INVALID_SIGNATURE = {"RspCode": "97", "Message": "Invalid signature"}
IPN_ORDER_NOT_FOUND = {"RspCode": "01", "Message": "Order not found"}
IPN_INVALID_AMOUNT = {"RspCode": "04", "Message": "Invalid amount"}
IPN_ALREADY_CONFIRMED = {"RspCode": "02", "Message": "Order already confirmed"}
IPN_SUCCESS = {"RspCode": "00", "Message": "Confirm Success"}
IPN_UNKNOWN = {"RspCode": "99", "Message": "Unknown error"}


def hash_data(params: Mapping[str, str]) -> str:
    """The string the signature is computed over."""
    items = sorted((k, str(v)) for k, v in params.items()
                   if k.startswith("vnp_") and k not in SIGNATURE_KEYS and v not in (None, ""))
    return "&".join(f"{key}={quote_plus(value)}" for key, value in items)


def sign(params: Mapping[str, str], secret: str) -> str:
    return hmac.new(secret.encode(), hash_data(params).encode("utf-8"),
                    hashlib.sha512).hexdigest()


def signed(params: Mapping[str, str], secret: str) -> dict[str, str]:
    """The parameters with their ``vnp_SecureHash``."""
    clean = {k: str(v) for k, v in params.items()
             if k not in SIGNATURE_KEYS and v not in (None, "")}
    clean["vnp_SecureHash"] = sign(clean, secret)
    return clean


def verify(params: Mapping[str, str], secret: str) -> bool:
    """Is ``vnp_SecureHash`` right for these parameters? Constant-time comparison."""
    given = str(params.get("vnp_SecureHash", "")).lower()
    if not given:
        return False
    return hmac.compare_digest(given, sign(params, secret))


def query_string(params: Mapping[str, str]) -> str:
    """A query string encoded the way the signature was computed (quote_plus, sorted)."""
    return urlencode(sorted(params.items()), quote_via=quote_plus)


def ascii_text(text: str, limit: int = 255) -> str:
    """``vnp_OrderInfo`` must carry no diacritics: 'Lệ phí hồ sơ' → 'Le phi ho so'."""
    text = text.replace("đ", "d").replace("Đ", "D")
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(plain.split())[:limit]


def format_date(moment: datetime) -> str:
    return moment.astimezone(GMT7).strftime(DATE_FORMAT)


def parse_date(text: str) -> datetime | None:
    try:
        return datetime.strptime(text, DATE_FORMAT).replace(tzinfo=GMT7)
    except (TypeError, ValueError):
        return None


def expire_date(created: datetime, minutes: int = EXPIRE_MINUTES) -> datetime:
    """The ``vnp_ExpireDate`` of a request created at ``created``: to the second, as sent."""
    return (created + timedelta(minutes=minutes)).replace(microsecond=0)


def expired(created: datetime, now: datetime, minutes: int = EXPIRE_MINUTES) -> bool:
    """Is a request created at ``created`` past its ``vnp_ExpireDate`` at ``now``? The gateway
    then refuses to start paying it (code 11), so the attempt is no longer open to the payer.
    It may still have been paid: a payment begun in time can be notified (IPN) after."""
    return now > expire_date(created, minutes)


@dataclass(frozen=True)
class Merchant:
    tmn_code: str
    hash_secret: str
    pay_url: str  # the gateway's vpcpay.html


def payment_url(merchant: Merchant, *, reference: str, amount: int, order_info: str,
                return_url: str, ip_address: str, created: datetime, locale: str = "vn",
                order_type: str = "billpayment", expire_minutes: int = EXPIRE_MINUTES,
                bank_code: str = "") -> str:
    """The signed URL the citizen's browser is redirected to (GET)."""
    params = {
        "vnp_Version": VERSION,
        "vnp_Command": "pay",
        "vnp_TmnCode": merchant.tmn_code,
        "vnp_Amount": str(amount * 100),  # VND × 100
        "vnp_CurrCode": "VND",
        "vnp_TxnRef": reference,
        "vnp_OrderInfo": ascii_text(order_info),
        "vnp_OrderType": order_type,
        "vnp_Locale": "en" if locale == "en" else "vn",
        "vnp_ReturnUrl": return_url,
        "vnp_IpAddr": ip_address or "127.0.0.1",
        "vnp_CreateDate": format_date(created),
        "vnp_ExpireDate": format_date(expire_date(created, expire_minutes)),
        "vnp_BankCode": bank_code,
    }
    return f"{merchant.pay_url}?{query_string(signed(params, merchant.hash_secret))}"


@dataclass(frozen=True)
class Result:
    """What the return URL and the IPN carry."""

    reference: str
    amount_x100: str
    response_code: str
    transaction_status: str
    transaction_no: str
    bank_code: str
    pay_date: str

    @property
    def succeeded(self) -> bool:
        return self.response_code == "00" and self.transaction_status == "00"

    @property
    def message(self) -> str:
        return RESPONSE_CODES.get(self.response_code, RESPONSE_CODES["99"])


def read_result(params: Mapping[str, str]) -> Result:
    return Result(
        reference=str(params.get("vnp_TxnRef", "")),
        amount_x100=str(params.get("vnp_Amount", "")),
        response_code=str(params.get("vnp_ResponseCode", "")),
        transaction_status=str(params.get("vnp_TransactionStatus", "")),
        transaction_no=str(params.get("vnp_TransactionNo", "")),
        bank_code=str(params.get("vnp_BankCode", "")),
        pay_date=str(params.get("vnp_PayDate", "")),
    )
