"""The first guides: how this portal works where citizens most often get stuck. They describe
the platform's own pages (no external rule beyond those cited in each)."""

from __future__ import annotations

GUIDES = [
    ("howto", "account", "tao-tai-khoan", "Tạo tài khoản trên Cổng dịch vụ công",
     "Chọn «Đăng ký», nhập họ tên và số điện thoại di động (hoặc email), rồi nhập mã xác nhận "
     "gồm 6 chữ số được gửi tới số đó; mã có hiệu lực 10 phút.\n"
     "Bạn cũng có thể đăng nhập bằng tài khoản định danh điện tử VNeID mà không cần đăng ký.\n"
     "Nếu chưa tự làm được, đại lý dịch vụ công (bưu điện), tổ công nghệ số cộng đồng hoặc "
     "tổng đài *1022 có thể giúp, với mã đồng ý gửi tới điện thoại của bạn."),
    ("faq", "vneid", "dang-nhap-vneid", "Đăng nhập bằng tài khoản VNeID như thế nào?",
     "Chọn «Đăng nhập bằng VNeID», xác nhận trên ứng dụng VNeID. Lần đầu, hệ thống nối tài "
     "khoản VNeID với tài khoản có cùng số định danh, hoặc tạo tài khoản mới cho bạn.\n"
     "Số định danh nhận từ VNeID được đánh dấu đã xác thực; bạn không phải khai lại."),
    ("faq", "payment", "thanh-toan-truc-tuyen", "Thanh toán phí, lệ phí trực tuyến bằng cách nào?",
     "Khi hồ sơ có phí, lệ phí, trang hồ sơ hiện mục «Việc bạn cần làm» với nút thanh toán. "
     "Bạn có thể trả qua cổng thanh toán VNPay hoặc quét mã VietQR bằng ứng dụng ngân hàng.\n"
     "Nếu đã trả mà trang chưa ghi nhận, hãy chờ vài phút rồi tải lại trang; nếu vẫn chưa, "
     "gửi phản ánh kèm ảnh biên lai hoặc gọi tổng đài *1022."),
    ("faq", "supplement", "bo-sung-ho-so", "Cơ quan đề nghị bổ sung hồ sơ, tôi phải làm gì?",
     "Trang hồ sơ ghi rõ giấy tờ cần bổ sung. Chọn «Bổ sung hồ sơ», tải lên giấy tờ (PDF, JPG "
     "hoặc PNG) rồi gửi. Thời hạn giải quyết tạm dừng trong lúc chờ bạn bổ sung.\n"
     "Nếu chưa rõ yêu cầu, hãy gửi phản ánh về hồ sơ (nhập mã hồ sơ) hoặc gọi tổng đài *1022."),
    ("faq", "datastore", "kho-du-lieu-ca-nhan", "Kho dữ liệu cá nhân dùng để làm gì?",
     "Kho giữ các giấy tờ và kết quả điện tử của bạn để dùng lại khi nộp hồ sơ mới mà không phải "
     "tải lên lần nữa. Bạn quyết định cán bộ một cửa có được xem giấy tờ tại quầy hay không, và "
     "xem lại ai đã xem trong «Lịch sử truy cập»."),
    ("faq", "feedback", "thoi-han-tra-loi-phan-anh",
     "Bao lâu thì phản ánh, kiến nghị được trả lời?",
     "Cơ quan có trách nhiệm trả lời trong 10 ngày làm việc kể từ khi tiếp nhận (Nghị định "
     "20/2008/NĐ-CP, sửa đổi bởi Nghị định 48/2013/NĐ-CP và 92/2017/NĐ-CP). Câu trả lời được gửi "
     "qua tin nhắn hoặc email; bạn có thể đánh giá mức độ hài lòng với câu trả lời."),
]


def seed(Guide, GuideRevision) -> None:  # noqa: N803 - the historical models, in a migration
    from django.utils import timezone

    for kind, topic, slug, title, body in GUIDES:
        guide, created = Guide.objects.get_or_create(
            slug=slug, defaults={"kind": kind, "topic": topic, "title": title, "body": body,
                                 "revision": 1})
        if created:
            GuideRevision.objects.create(guide=guide, number=1, title=title, body=body,
                                         edited_at=timezone.now())
