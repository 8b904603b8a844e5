"""The payment protocol's own costs, per operation, in-process: signing and checking a VNPay
2.1.0 message (what every IPN and return pays before touching the database), building and
parsing a VietQR payload, and drawing its QR code (SVG for the page, PNG for download).

    ./run bench bench/bench_payments.py
"""

from __future__ import annotations

import harness

harness.setup_django()

from dichvucong.payments import vietqr, vnpay  # noqa: E402

SECRET = "SANDBOXSECRETDICHVUCONGDEMO0000000"
PARAMS = {
    "vnp_Amount": "1000000", "vnp_BankCode": "NCB", "vnp_BankTranNo": "VNP14000001",
    "vnp_CardType": "ATM", "vnp_OrderInfo": "Thanh toan phi le phi ho so 000.20.06.H17",
    "vnp_PayDate": "20260310101500", "vnp_ResponseCode": "00", "vnp_TmnCode": "DVCDEMO1",
    "vnp_TransactionNo": "14000001", "vnp_TransactionStatus": "00",
    "vnp_TxnRef": "DVC260310K7Q2ZD",
}


def main() -> None:
    signed = vnpay.signed(PARAMS, SECRET)
    payload = vietqr.build(bank_bin="970415", account="113366668888", amount=10000,
                           purpose="DVC260310K7Q2ZD")
    harness.rate("VNPay: sign a result", lambda: vnpay.signed(PARAMS, SECRET))
    harness.rate("VNPay: verify an IPN's signature", lambda: vnpay.verify(signed, SECRET))
    harness.rate("VietQR: build a payload", lambda: vietqr.build(
        bank_bin="970415", account="113366668888", amount=10000, purpose="DVC260310K7Q2ZD"))
    harness.rate("VietQR: parse and check a payload", lambda: vietqr.parse(payload))
    harness.rate("VietQR: QR code as inline SVG", lambda: vietqr.qr_svg(payload))
    harness.rate("VietQR: QR code as PNG", lambda: vietqr.qr_png(payload))
    print(f"inline SVG size: {len(vietqr.qr_svg(payload)):,} bytes")


if __name__ == "__main__":
    main()
