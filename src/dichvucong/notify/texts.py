"""What each event says, in Vietnamese (the msgids) and English (the catalogue), on each channel.

Plain Python: ``render(event, context, language)`` gives the subject, the e-mail's paragraphs,
the SMS text and the Zalo ZNS template parameters. Placeholders are named (``%(code)s``) so a
translation may reorder them; a placeholder the caller did not give renders empty rather than
failing the change that caused the message.

SMS: brandname customer-care texts are registered with the operator as templates and are sent
without diacritics by default (``ESMS_UNICODE=0``: 160 characters a segment instead of 70). The
fold to ASCII is done here, on purpose and tested (``fold``: "Hồ sơ đã được tiếp nhận" →
"Ho so da duoc tiep nhan", đ → d), never left to the gateway, which would drop or mangle them.
With ``ESMS_UNICODE=1`` the text keeps its diacritics and is sent as Unicode.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

SMS_MAX_ASCII = 160  # one GSM-7 segment
SMS_MAX_UNICODE = 140  # two UCS-2 segments of 67 (concatenated), rounded down
# A message ending with a link (the fee's payment link) may take two concatenated GSM-7 segments
# (153 each) or three UCS-2 ones (67 each): the link alone is about 100 characters, and a cut
# link is worth nothing. The text before it is cut instead.
SMS_MAX_WITH_LINK_ASCII = 306
SMS_MAX_WITH_LINK_UNICODE = 201
LINK_AT_END = re.compile(r"\s(https?://\S+)$")

# Zalo ZNS parameter limits (the template parameter types: customer name 30, code 30, label 30,
# status 30, product/brand 200, amount 20).
# The payment link is a URL parameter of the template's button: never cut (unverified limit; a
# refusal falls back to SMS, which carries the link too).
ZNS_LIMITS = {"customer_name": 30, "dossier_code": 30, "status": 30, "procedure": 200,
              "date": 30, "amount": 20, "reference": 30, "pay_url": 1000}


@dataclass(frozen=True)
class EventText:
    subject: Any
    paragraphs: tuple[Any, ...]
    sms: Any
    status: Any = ""  # the ZNS "status" parameter: a few words
    for_official: bool = False
    # The SMS ends with the context's ``pay_link`` (made absolute), never cut, and the ZNS
    # template gets it as ``pay_url``.
    pay_link: bool = False
    phone: bool = True  # worth an SMS or a Zalo message, not only the inbox and e-mail
    extra: dict = field(default_factory=dict)


EVENTS: dict[str, EventText] = {
    "submitted": EventText(
        subject=_("Hồ sơ %(code)s đã được gửi tới %(agency)s"),
        paragraphs=(_("Hồ sơ %(code)s (%(procedure)s) đã được gửi tới %(agency)s lúc "
                      "%(at)s và đang chờ cán bộ một cửa tiếp nhận."),
                    _("Bạn sẽ nhận thông báo khi hồ sơ được tiếp nhận hoặc cần bổ sung.")),
        sms=_("Hồ sơ %(code)s đã được gửi, đang chờ tiếp nhận."),
        status=_("Chờ tiếp nhận"), phone=False),
    "received": EventText(
        subject=_("Hồ sơ %(code)s đã được tiếp nhận"),
        paragraphs=(_("%(agency)s đã tiếp nhận hồ sơ %(code)s (%(procedure)s) lúc %(at)s."),
                    _("Hẹn trả kết quả: %(due)s.")),
        sms=_("Hồ sơ %(code)s đã được tiếp nhận. Hẹn trả kết quả: %(due)s."),
        status=_("Đã tiếp nhận")),
    "rejected": EventText(
        subject=_("Hồ sơ %(code)s không được tiếp nhận"),
        paragraphs=(_("%(agency)s từ chối tiếp nhận hồ sơ %(code)s (%(procedure)s)."),
                    _("Lý do: %(note)s")),
        sms=_("Hồ sơ %(code)s không được tiếp nhận. Xem lý do trên Cổng dịch vụ công."),
        status=_("Từ chối tiếp nhận")),
    "supplement_requested": EventText(
        subject=_("Hồ sơ %(code)s cần bổ sung, hoàn thiện"),
        paragraphs=(_("%(agency)s đề nghị bổ sung, hoàn thiện hồ sơ %(code)s (%(procedure)s)."),
                    _("Nội dung cần bổ sung: %(note)s"),
                    _("Hãy bổ sung trên Cổng dịch vụ công hoặc tại bộ phận một cửa.")),
        sms=_("Hồ sơ %(code)s cần bổ sung. Xem nội dung trên Cổng dịch vụ công."),
        status=_("Cần bổ sung")),
    "refused": EventText(
        subject=_("Hồ sơ %(code)s không được giải quyết"),
        paragraphs=(_("%(agency)s không giải quyết hồ sơ %(code)s (%(procedure)s)."),
                    _("Lý do: %(note)s")),
        sms=_("Hồ sơ %(code)s không được giải quyết. Xem lý do trên Cổng dịch vụ công."),
        status=_("Không giải quyết")),
    "paused": EventText(
        subject=_("Hồ sơ %(code)s bị dừng giải quyết"),
        paragraphs=(_("%(agency)s dừng giải quyết hồ sơ %(code)s (%(procedure)s)."),
                    _("Lý do: %(note)s")),
        sms=_("Hồ sơ %(code)s bị dừng giải quyết. Xem lý do trên Cổng dịch vụ công."),
        status=_("Dừng giải quyết")),
    "result_ready": EventText(
        subject=_("Hồ sơ %(code)s đã có kết quả"),
        paragraphs=(_("Hồ sơ %(code)s (%(procedure)s) đã có kết quả."),
                    _("Bạn có thể nhận kết quả theo cách đã chọn khi nộp hồ sơ.")),
        sms=_("Hồ sơ %(code)s đã có kết quả. Mời bạn nhận kết quả."),
        status=_("Đã có kết quả")),
    "returned": EventText(
        subject=_("Đã trả kết quả hồ sơ %(code)s"),
        paragraphs=(_("Kết quả hồ sơ %(code)s (%(procedure)s) đã được trả lúc %(at)s."),
                    _("Cảm ơn bạn đã sử dụng dịch vụ công. Hãy đánh giá mức độ hài lòng trên "
                      "trang hồ sơ.")),
        sms=_("Đã trả kết quả hồ sơ %(code)s. Cảm ơn bạn."),
        status=_("Đã trả kết quả"), phone=False),
    "withdrawn": EventText(
        subject=_("Hồ sơ %(code)s đã được rút"),
        paragraphs=(_("Hồ sơ %(code)s (%(procedure)s) đã được rút theo yêu cầu lúc %(at)s."),),
        sms=_("Hồ sơ %(code)s đã được rút theo yêu cầu."),
        status=_("Đã rút hồ sơ"), phone=False),
    "late_apology": EventText(
        subject=_("Xin lỗi: hồ sơ %(code)s được hẹn lại ngày trả kết quả"),
        paragraphs=(_("%(agency)s xin lỗi vì hồ sơ %(code)s (%(procedure)s) chưa có kết quả "
                      "đúng hẹn."),
                    _("Lý do: %(note)s"),
                    _("Ngày hẹn trả kết quả mới: %(new_due)s.")),
        sms=_("Xin lỗi: hồ sơ %(code)s hẹn lại ngày trả kết quả %(new_due)s."),
        status=_("Hẹn lại ngày trả")),
    "fee_due": EventText(
        subject=_("Hồ sơ %(code)s: đề nghị nộp phí, lệ phí %(amount)s"),
        paragraphs=(_("Hồ sơ %(code)s (%(procedure)s) cần nộp phí, lệ phí %(amount)s."),
                    _("Mã thanh toán: %(reference)s. Bạn có thể thanh toán trực tuyến trên "
                      "trang hồ sơ hoặc nộp tại bộ phận một cửa."),
                    _("Thanh toán không cần đăng nhập (liên kết dùng được trong %(pay_link_hours)s "
                      "giờ): %(pay_url)s")),
        sms=_("Hồ sơ %(code)s cần nộp phí %(amount)s, mã thanh toán %(reference)s."),
        status=_("Chờ nộp phí"), pay_link=True),
    "payment_confirmed": EventText(
        subject=_("Đã nhận thanh toán %(amount)s cho hồ sơ %(code)s"),
        paragraphs=(_("Đã nhận khoản thanh toán %(amount)s cho hồ sơ %(code)s (%(procedure)s), "
                      "mã thanh toán %(reference)s."),
                    _("Biên lai điện tử có trên trang hồ sơ.")),
        sms=_("Đã nhận %(amount)s cho hồ sơ %(code)s, mã %(reference)s."),
        status=_("Đã thanh toán")),
    # To officials.
    "supplement_provided": EventText(
        subject=_("Hồ sơ %(code)s đã được bổ sung"),
        paragraphs=(_("Người nộp đã bổ sung hồ sơ %(code)s (%(procedure)s) lúc %(at)s. Hồ sơ "
                      "đang chờ bạn xử lý tiếp."),),
        sms=_("Hồ sơ %(code)s đã được bổ sung, chờ xử lý."),
        status=_("Đã bổ sung"), for_official=True, phone=False),
    "assigned": EventText(
        subject=_("Bạn được giao xử lý hồ sơ %(code)s"),
        paragraphs=(_("Bạn được giao xử lý hồ sơ %(code)s (%(procedure)s). Hạn trả kết quả: "
                      "%(due)s."),),
        sms=_("Bạn được giao xử lý hồ sơ %(code)s, hạn %(due)s."),
        status=_("Được giao xử lý"), for_official=True, phone=False),
    "alert.not_received": EventText(
        subject=_("Cảnh báo: hồ sơ %(code)s chưa được tiếp nhận sau 4 giờ làm việc"),
        paragraphs=(_("Hồ sơ trực tuyến %(code)s (%(procedure)s) nộp lúc %(at)s chưa được "
                      "tiếp nhận sau 4 giờ làm việc."),),
        sms=_("Cảnh báo: hồ sơ %(code)s chưa được tiếp nhận sau 4 giờ làm việc."),
        status=_("Chưa tiếp nhận"), for_official=True),
    "alert.near_due": EventText(
        subject=_("Cảnh báo: hồ sơ %(code)s sắp đến hạn (%(due)s)"),
        paragraphs=(_("Hồ sơ %(code)s (%(procedure)s) sắp đến hạn trả kết quả: %(due)s."),
                    _("Nếu không kịp, hãy gửi văn bản xin lỗi và hẹn lại trước hạn ít nhất một "
                      "ngày làm việc.")),
        sms=_("Cảnh báo: hồ sơ %(code)s sắp đến hạn %(due)s."),
        status=_("Sắp đến hạn"), for_official=True),
    "alert.overdue": EventText(
        subject=_("Cảnh báo: hồ sơ %(code)s đã quá hạn"),
        paragraphs=(_("Hồ sơ %(code)s (%(procedure)s) đã quá hạn trả kết quả (%(due)s)."),),
        sms=_("Cảnh báo: hồ sơ %(code)s đã quá hạn %(due)s."),
        status=_("Quá hạn"), for_official=True),
    "alert.no_apology": EventText(
        subject=_("Cảnh báo: hồ sơ %(code)s trễ hạn chưa có văn bản xin lỗi"),
        paragraphs=(_("Hồ sơ %(code)s (%(procedure)s) đã quá hạn trả kết quả (%(due)s) mà "
                      "chưa có văn bản xin lỗi và hẹn lại ngày trả kết quả (Mẫu 04)."),
                    _("Hãy gửi văn bản xin lỗi người nộp và ghi nhận ngày hẹn mới trên hệ "
                      "thống.")),
        sms=_("Cảnh báo: hồ sơ %(code)s trễ hạn %(due)s chưa có văn bản xin lỗi."),
        status=_("Trễ hạn chưa xin lỗi"), for_official=True),
    "alert.step_near_due": EventText(
        subject=_("Cảnh báo: bước «%(step)s» của hồ sơ %(code)s sắp đến hạn"),
        paragraphs=(_("Bước «%(step)s» của hồ sơ %(code)s (%(procedure)s) sắp đến hạn: "
                      "%(due)s."),),
        sms=_("Cảnh báo: bước xử lý hồ sơ %(code)s sắp đến hạn %(due)s."),
        status=_("Bước sắp đến hạn"), for_official=True),
    "alert.handover_due": EventText(
        subject=_("Cảnh báo: hồ sơ liên thông %(code)s sắp đến hoặc đã quá hạn"),
        paragraphs=(_("Bước «%(step)s» của hồ sơ liên thông %(code)s (%(procedure)s) do cơ "
                      "quan bạn giải quyết có hạn %(due)s."),),
        sms=_("Cảnh báo: hồ sơ liên thông %(code)s hạn %(due)s."),
        status=_("Liên thông sắp đến hạn"), for_official=True),
    "alert.supplement_unanswered": EventText(
        subject=_("Cảnh báo: hồ sơ %(code)s chưa được bổ sung đúng hạn"),
        paragraphs=(_("Người nộp chưa bổ sung hồ sơ %(code)s (%(procedure)s) từ %(at)s."),),
        sms=_("Cảnh báo: hồ sơ %(code)s chưa được bổ sung."),
        status=_("Chưa bổ sung"), for_official=True),
    # Feedback and complaints (feedback/): the code is the feedback's reference.
    "feedback.answered": EventText(
        subject=_("Phản ánh, kiến nghị %(code)s đã được trả lời"),
        paragraphs=(_("%(agency)s đã trả lời phản ánh, kiến nghị %(code)s của bạn:"),
                    "%(note)s"),
        sms=_("Phản ánh %(code)s đã được %(agency)s trả lời. Xem trên Cổng dịch vụ công."),
        status=_("Đã trả lời")),
    "feedback.near_due": EventText(
        subject=_("Cảnh báo: phản ánh, kiến nghị %(code)s sắp đến hạn trả lời (%(due)s)"),
        paragraphs=(_("Phản ánh, kiến nghị %(code)s gửi %(agency)s chưa được trả lời; hạn trả "
                      "lời: %(due)s."),),
        sms=_("Cảnh báo: phản ánh %(code)s sắp đến hạn trả lời %(due)s."),
        status=_("Sắp đến hạn"), for_official=True),
}


@dataclass(frozen=True)
class Rendered:
    subject: str
    paragraphs: list[str]
    sms: str
    template_data: dict[str, str]

    @property
    def body(self) -> str:
        return "\n\n".join(self.paragraphs)


class _Lenient(dict):
    """Formatting values: a missing placeholder renders empty."""

    def __missing__(self, key: str) -> str:
        return ""


def format_value(value: Any, language: str) -> str:
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return value.strftime("%H:%M %d/%m/%Y")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    if isinstance(value, int):
        return format_amount(value, language)
    return str(value)


def format_amount(amount: int, language: str) -> str:
    """VND amounts: "150.000 đ" in Vietnamese, "150,000 VND" in English."""
    grouped = f"{amount:,}"
    if language == "vi":
        return grouped.replace(",", ".") + " đ"
    return grouped + " VND"


def fold(text: str) -> str:
    """Vietnamese without diacritics, for ASCII SMS: decomposed marks removed, đ/Đ → d/D."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = "".join(c for c in decomposed if not unicodedata.combining(c))
    return ascii_text.encode("ascii", "ignore").decode()


def sms_text(text: str, unicode: bool | None = None) -> str:
    """The text as the SMS gateway will get it: folded to ASCII unless Unicode SMS is on, cut to
    the segment budget with an ellipsis rather than by the operator. A link at the end is kept
    whole (a larger budget, ``SMS_MAX_WITH_LINK_*``) and the words before it are cut."""
    unicode = settings.ESMS_UNICODE if unicode is None else unicode
    text = " ".join(unicodedata.normalize("NFC", text).split())
    found = LINK_AT_END.search(text)
    link = found.group(1) if found else ""
    if link:
        text = text[:found.start()]
        limit = (SMS_MAX_WITH_LINK_UNICODE if unicode else SMS_MAX_WITH_LINK_ASCII) - len(link) - 1
    else:
        limit = SMS_MAX_UNICODE if unicode else SMS_MAX_ASCII
    if not unicode:
        text = fold(text)
    if len(text) > limit:
        text = text[: limit - 3].rstrip() + "..."
    return f"{text} {link}" if link else text


def render(event: str, context: dict[str, Any], language: str = "vi") -> Rendered:
    """The messages for ``event`` in ``language``. Raises KeyError for an unknown event."""
    spec = EVENTS[event]
    language = language if language in dict(settings.LANGUAGES) else "vi"
    values = _Lenient({key: format_value(value, language) for key, value in context.items()})
    if spec.pay_link and values["pay_link"]:
        values["pay_url"] = f"{settings.SITE_URL}{values['pay_link']}"
    with translation.override(language):
        subject = " ".join((str(spec.subject) % values).split())
        paragraphs = [str(p) % values for p in spec.paragraphs]
        # A paragraph whose only placeholder is missing ("Lý do: ") says nothing: left out.
        paragraphs = [p for p, raw in zip(paragraphs, spec.paragraphs, strict=True)
                      if not _empty_placeholder(str(raw), values)]
        sms = str(spec.sms) % values
        sms = sms_text(f"{sms} {values['pay_url']}" if values["pay_url"] else sms)
        status = str(spec.status)
    data = {
        "customer_name": values["name"], "dossier_code": values["code"], "status": status,
        "procedure": values["procedure"], "date": values["due"] or values["at"],
        "amount": values["amount"], "reference": values["reference"],
        "pay_url": values["pay_url"],
    }
    template_data = {key: value[: ZNS_LIMITS[key]] for key, value in data.items() if value}
    return Rendered(subject=subject[:300], paragraphs=paragraphs, sms=sms,
                    template_data=template_data)


def _empty_placeholder(raw: str, values: _Lenient) -> bool:
    names = re.findall(r"%\((\w+)\)s", raw)
    return bool(names) and all(not values[name] for name in names) and ":" in raw
