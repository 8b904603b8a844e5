"""A local VNPay 2.1.0 sandbox gateway, so the whole redirect → pay → return → IPN loop runs
offline (the demo and the tests). A plain WSGI application with no Django, speaking the protocol
of ``vnpay.py`` from the gateway's side:

- ``GET /paymentv2/vpcpay.html?…`` checks the merchant's signed request (terminal code, version,
  command, currency, amount, dates, signature) and shows a payment page where the payer picks a
  bank and an outcome; a bad request gets VNPay's error page instead.
- ``POST /paymentv2/pay`` makes the result (``vnp_ResponseCode``, ``vnp_TransactionStatus``,
  ``vnp_TransactionNo`` …), signs it with the merchant's secret, calls the merchant's IPN URL
  server-to-server with it (GET), retrying as VNPay does until the merchant answers RspCode 00
  or 02, and redirects the browser to the merchant's return URL with the same signed query.
- ``GET /sandbox/ipn-log`` lists the IPN calls made (JSON), for tests and curious developers.

The IPN URL is per merchant terminal (VNPay configures it in its merchant portal, not in the
request); ``ipn_delay`` and ``ipn_hold`` let a test have the return arrive before the IPN.
"""

from __future__ import annotations

import html
import itertools
import json
import logging
import threading
import time
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from socketserver import ThreadingMixIn
from urllib.parse import parse_qsl
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from dichvucong.payments import vnpay

log = logging.getLogger(__name__)

BANKS = [("NCB", "Ngân hàng Quốc Dân (NCB)"), ("VCB", "Vietcombank"), ("VIETINBANK", "VietinBank"),
         ("MBBANK", "MB Bank"), ("VNPAYQR", "Ví VNPAY (quét mã QR)")]
OUTCOMES = [("00", "Thanh toán thành công"), ("24", "Hủy giao dịch"),
            ("51", "Tài khoản không đủ số dư"), ("11", "Hết hạn chờ thanh toán")]


@dataclass
class MerchantAccount:
    tmn_code: str
    hash_secret: str
    ipn_url: str


@dataclass
class Sandbox:
    merchants: dict[str, MerchantAccount]
    ipn_retries: int = 10  # VNPay calls again when the merchant does not confirm
    ipn_interval: float = 300.0  # seconds between calls (VNPay: minutes; tests: fractions)
    ipn_delay: float = 0.0  # before the first call
    ipn_timeout: float = 10.0
    ipn_hold: threading.Event | None = None  # a test holds the IPN until it sets this
    ipn_log: list[dict] = field(default_factory=list)
    # VNPay's transaction numbers never repeat: a restarted sandbox goes on from the clock.
    _numbers: Iterable[int] = field(
        default_factory=lambda: itertools.count(10_000_000 + int(time.time() * 10) % 89_999_999))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # --- WSGI ---

    def __call__(self, environ, start_response):
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO", "")
        try:
            if path == "/paymentv2/vpcpay.html" and method == "GET":
                return self._payment_page(environ, start_response)
            if path == "/paymentv2/pay" and method == "POST":
                return self._pay(environ, start_response)
            if path == "/sandbox/ipn-log" and method == "GET":
                with self._lock:
                    body = json.dumps(self.ipn_log, ensure_ascii=False).encode()
                start_response("200 OK", [("Content-Type", "application/json")])
                return [body]
            return self._page(start_response, "404 Not Found", "Không tìm thấy trang",
                              "<p>Địa chỉ này không có trên cổng thử nghiệm VNPay.</p>")
        except Exception:  # pragma: no cover - a sandbox bug should show, not kill the thread
            log.exception("sandbox error")
            return self._page(start_response, "500 Internal Server Error", "Lỗi",
                              "<p>Cổng thử nghiệm gặp lỗi.</p>")

    # --- checks ---

    def check_request(self, params: dict[str, str]) -> tuple[MerchantAccount | None, str]:
        """The merchant and "" when the request is good; else None and the error."""
        merchant = self.merchants.get(params.get("vnp_TmnCode", ""))
        if merchant is None:
            return None, "Website này chưa được phê duyệt (mã website không tồn tại)."
        if not vnpay.verify(params, merchant.hash_secret):
            return None, "Sai chữ ký (vnp_SecureHash)."
        problems = []
        if params.get("vnp_Version") != vnpay.VERSION:
            problems.append("phiên bản phải là 2.1.0")
        if params.get("vnp_Command") != "pay":
            problems.append("vnp_Command phải là pay")
        if params.get("vnp_CurrCode") != "VND":
            problems.append("chỉ hỗ trợ VND")
        amount = params.get("vnp_Amount", "")
        if not amount.isdigit() or int(amount) <= 0 or int(amount) % 100:
            problems.append("số tiền không hợp lệ")
        for key in ("vnp_TxnRef", "vnp_OrderInfo", "vnp_ReturnUrl", "vnp_IpAddr",
                    "vnp_OrderType", "vnp_Locale"):
            if not params.get(key):
                problems.append(f"thiếu {key}")
        created = vnpay.parse_date(params.get("vnp_CreateDate", ""))
        if created is None:
            problems.append("vnp_CreateDate sai dạng yyyyMMddHHmmss")
        expires = vnpay.parse_date(params.get("vnp_ExpireDate", ""))
        if params.get("vnp_ExpireDate") and expires is None:
            problems.append("vnp_ExpireDate sai dạng yyyyMMddHHmmss")
        elif expires is not None and expires < datetime.now(vnpay.GMT7):
            problems.append("giao dịch đã hết hạn")
        if problems:
            return None, "Dữ liệu không hợp lệ: " + "; ".join(problems) + "."
        return merchant, ""

    # --- pages ---

    def _page(self, start_response, status: str, title: str, body: str):
        page = f"""<!doctype html>
<html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} — VNPay (thử nghiệm)</title>
<style>
body{{font-family:system-ui,sans-serif;margin:0;color:#1a1a1a;background:#f4f6f8}}
header{{background:#005baa;color:#fff;padding:12px 16px}}
main{{padding:16px;max-width:32rem;margin:auto}}
fieldset{{border:1px solid #999;margin:0 0 16px;padding:8px 12px}}
label{{display:inline-block;padding:6px 0}}
button{{font-size:1rem;padding:10px 16px;background:#005baa;color:#fff;border:0;border-radius:4px}}
.amount{{font-size:1.5rem;font-weight:bold}} .error{{color:#a00000}}
</style></head>
<body><header><p><strong>VNPAY</strong> — Cổng thanh toán thử nghiệm (sandbox)</p></header>
<main><h1>{html.escape(title)}</h1>{body}</main></body></html>"""
        start_response(status, [("Content-Type", "text/html; charset=utf-8"),
                                ("Cache-Control", "no-store")])
        return [page.encode()]

    def _payment_page(self, environ, start_response):
        query = environ.get("QUERY_STRING", "")
        params = dict(parse_qsl(query, keep_blank_values=True))
        merchant, error = self.check_request(params)
        if merchant is None:
            return self._page(start_response, "400 Bad Request", "Giao dịch không hợp lệ",
                              f'<p class="error" role="alert">{html.escape(error)}</p>')
        amount = int(params["vnp_Amount"]) // 100
        banks = "".join(
            f'<div><input type="radio" name="bank" id="bank-{code}" value="{code}"'
            f'{" checked" if i == 0 else ""}><label for="bank-{code}">{html.escape(name)}'
            f"</label></div>" for i, (code, name) in enumerate(BANKS))
        outcomes = "".join(
            f'<div><input type="radio" name="outcome" id="outcome-{code}" value="{code}"'
            f'{" checked" if i == 0 else ""}><label for="outcome-{code}">{html.escape(name)}'
            f"</label></div>" for i, (code, name) in enumerate(OUTCOMES))
        body = f"""
<dl><dt>Đơn vị chấp nhận thanh toán</dt><dd>{html.escape(merchant.tmn_code)}</dd>
<dt>Mã đơn hàng</dt><dd>{html.escape(params["vnp_TxnRef"])}</dd>
<dt>Nội dung</dt><dd>{html.escape(params["vnp_OrderInfo"])}</dd>
<dt>Số tiền</dt><dd class="amount">{amount:,} VND</dd></dl>
<form method="post" action="/paymentv2/pay">
<input type="hidden" name="q" value="{html.escape(query)}">
<fieldset><legend>Ngân hàng</legend>{banks}</fieldset>
<fieldset><legend>Kết quả (thử nghiệm)</legend>{outcomes}</fieldset>
<button type="submit">Xác nhận thanh toán</button>
</form>"""
        return self._page(start_response, "200 OK", "Thanh toán trực tuyến", body)

    def _pay(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        form = dict(parse_qsl(environ["wsgi.input"].read(length).decode(),
                              keep_blank_values=True))
        params = dict(parse_qsl(form.get("q", ""), keep_blank_values=True))
        merchant, error = self.check_request(params)
        if merchant is None:
            return self._page(start_response, "400 Bad Request", "Giao dịch không hợp lệ",
                              f'<p class="error" role="alert">{html.escape(error)}</p>')
        outcome = form.get("outcome", "00")
        if outcome not in dict(OUTCOMES):
            outcome = "99"
        bank = form.get("bank") or "NCB"
        result = self.result(merchant, params, outcome, bank)
        query = vnpay.query_string(result)
        threading.Thread(target=self._deliver_ipn, args=(merchant.ipn_url, query),
                         daemon=True).start()
        location = params["vnp_ReturnUrl"] + ("&" if "?" in params["vnp_ReturnUrl"] else "?")
        start_response("302 Found", [("Location", location + query),
                                     ("Cache-Control", "no-store")])
        return [b""]

    def result(self, merchant: MerchantAccount, params: dict[str, str], outcome: str,
               bank: str) -> dict[str, str]:
        """The signed parameters VNPay sends to the return URL and the IPN."""
        with self._lock:
            number = next(self._numbers)
        paid = outcome == "00"
        fields = {
            "vnp_Amount": params["vnp_Amount"],
            "vnp_BankCode": bank,
            "vnp_BankTranNo": f"VNP{number}" if paid else "",
            "vnp_CardType": "ATM" if paid else "",
            "vnp_OrderInfo": params["vnp_OrderInfo"],
            "vnp_PayDate": vnpay.format_date(datetime.now(vnpay.GMT7)),
            "vnp_ResponseCode": outcome,
            "vnp_TmnCode": merchant.tmn_code,
            "vnp_TransactionNo": str(number) if paid else "0",
            "vnp_TransactionStatus": "00" if paid else "02",
            "vnp_TxnRef": params["vnp_TxnRef"],
        }
        return vnpay.signed(fields, merchant.hash_secret)

    # --- IPN ---

    def _deliver_ipn(self, url: str, query: str) -> None:
        if self.ipn_hold is not None:
            self.ipn_hold.wait(timeout=120)
        if self.ipn_delay:
            time.sleep(self.ipn_delay)
        target = url + ("&" if "?" in url else "?") + query
        for attempt in range(1, self.ipn_retries + 1):
            reply, error = None, ""
            try:
                with urllib.request.urlopen(target, timeout=self.ipn_timeout) as response:  # noqa: S310 - the merchant's configured IPN URL
                    reply = json.loads(response.read().decode())
            except Exception as exc:  # network error, HTTP error, not JSON: call again later
                error = str(exc)[:200]
            with self._lock:
                self.ipn_log.append({"attempt": attempt, "query": query, "reply": reply,
                                     "error": error})
            if isinstance(reply, dict) and reply.get("RspCode") in ("00", "02"):
                return
            time.sleep(self.ipn_interval)


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        log.debug("sandbox: " + format, *args)


def serve(sandbox: Sandbox, host: str = "127.0.0.1", port: int = 0,
          on_ready: Callable[[int], None] | None = None, forever: bool = True):
    """Run the sandbox; ``port=0`` picks a free port (given to ``on_ready``)."""
    server = make_server(host, port, sandbox, server_class=_ThreadingServer,
                         handler_class=_QuietHandler)
    if on_ready:
        on_ready(server.server_port)
    if forever:
        server.serve_forever(poll_interval=0.2)
    return server
