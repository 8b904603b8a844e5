"""The first version of Decision 766/QĐ-TTg's indicator table (effective 23/06/2022), as the
project's research found it in the public sources cited below, with each row's source.

Sources, cited per row:

* [QĐ766] Decision 766/QĐ-TTg (23/06/2022) as summarised by baocaotaichinh.vn, vietjack.me and
  lamdong.dcs.vn: five groups, 100 points; transparency 18 (of which "TTHC cập nhật, công khai
  đúng hạn" 4), progress 20, satisfaction 18 (ratio 5.3 up to 6).
* [SPEC] "Mô tả công thức tính chỉ số 766" (the index's technical specification, a .docx kept in
  a public repository): the formulas, and the rule "≥ target ⇒ full points; below: rate × points
  ÷ target" with targets 80 % (most), 50 % (online share), 90 % (satisfaction).
* [S1] The Thanh Hóa one-stop system (``TaskSoLieuBaoCaoTheoKyService.CalcTyLeAndDiem766``): the
  points it gives each indicator it computes.

The decision names five groups; its third, "Cung cấp dịch vụ trực tuyến" (22), is kept here as
two groups, online services (12) and online payment (10), as the national index pages show them.
Where the points of an indicator are not known, ``points`` is empty and the note says so; where
the platform cannot measure an indicator yet, its rule is ``not_measured`` and it scores nothing
(the index then shows the points it could measure beside the total).
"""

from __future__ import annotations

from datetime import date

EFFECTIVE_FROM = date(2022, 6, 23)

QD766 = ("Quyết định 766/QĐ-TTg ngày 23/6/2022 (tóm tắt: baocaotaichinh.vn, vietjack.me, "
         "lamdong.dcs.vn)")
SPEC = "Mô tả công thức tính chỉ số 766 (đặc tả kỹ thuật của Bộ chỉ số)"
S1 = "Hệ thống một cửa điện tử Thanh Hóa (S1), CalcTyLeAndDiem766"

G1, G2, G3, G4, G5, G6 = (
    (1, "Công khai, minh bạch"),
    (2, "Tiến độ, kết quả giải quyết"),
    (3, "Cung cấp dịch vụ công trực tuyến"),
    (4, "Thanh toán trực tuyến"),
    (5, "Số hóa hồ sơ"),
    (6, "Mức độ hài lòng"),
)


def _row(code, group, name, formula, points, rule, source, *, numerator="", denominator="",
         target=None, fallback_factor=None, note=""):
    return {"code": code, "group": group[0], "group_name": group[1], "name": name,
            "formula": formula, "points": points, "rule": rule, "source": source,
            "numerator": numerator, "denominator": denominator, "target": target,
            "fallback_factor": fallback_factor, "note": note,
            "effective_from": EFFECTIVE_FROM}


INDICATORS_2022 = [
    # Group 1, transparency: 18 points [QĐ766]; the platform does not hold the national
    # procedure database's publication dates or the portal's sync log yet.
    _row("1.1", G1, "Tỷ lệ TTHC công bố đúng hạn",
         "TTHC có quyết định công bố đúng hạn ÷ TTHC được công bố trong kỳ", None,
         "not_measured", SPEC,
         note="Số điểm chưa xác minh: 18 điểm của nhóm trừ 1.2, 1.3, 1.4 còn 2 điểm, có thể là "
              "của chỉ số này."),
    _row("1.2", G1, "Tỷ lệ TTHC được cập nhật, công khai đúng hạn",
         "TTHC công khai trên CSDL quốc gia ≤ 5 ngày làm việc sau quyết định công bố (cấp tỉnh) "
         "÷ TTHC được công bố", 4, "not_measured", f"{QD766}; {SPEC}"),
    _row("1.3", G1, "Tỷ lệ TTHC công khai đầy đủ các bộ phận tạo thành",
         "TTHC công khai đủ tên, trình tự, cách thức, thành phần hồ sơ, thời hạn, đối tượng, cơ "
         "quan thực hiện ÷ tổng số TTHC", 6, "not_measured", f"{SPEC}; {S1}",
         note="S1 cho cố định 6 điểm (DiemCongKhaiMinhBach); ở đây chưa đo nên không cộng."),
    _row("1.4", G1, "Tỷ lệ hồ sơ đồng bộ lên Cổng DVCQG",
         "Hồ sơ tiếp nhận trong kỳ đã đồng bộ ÷ hồ sơ tiếp nhận trong kỳ", 6, "not_measured",
         f"{SPEC}; {S1}",
         note="S1 cho cố định 6 điểm (DiemTyLeDongBoDVCQuocGia); đồng bộ chưa xây dựng."),
    # Group 2, progress: 20 points [QĐ766]; S1 gives indicator 2.1 all of them.
    _row("2.1", G2, "Tỷ lệ hồ sơ xử lý trước hạn, đúng hạn",
         "(Hồ sơ giải quyết đúng hạn, trước hạn + hồ sơ rút, dừng + hồ sơ đang giải quyết chưa "
         "quá hạn) ÷ (hồ sơ đã kết thúc xử lý + hồ sơ đang giải quyết); đúng hạn so với hạn ban "
         "đầu; hồ sơ yêu cầu bổ sung quá một lần tính là trễ hạn", 20, "proportional",
         f"{QD766}; {SPEC}; {S1}", numerator="progress_on_time", denominator="progress_base",
         note="Đặc tả không nêu ngưỡng đủ điểm: điểm = tỷ lệ × 20 như S1. Hồ sơ đang giải quyết "
              "chỉ tính khi kỳ kéo đến hôm nay (chỉ số theo thời gian thực)."),
    _row("2.2", G2, "Thời gian giải quyết trung bình",
         "Tổng thời gian giải quyết (ngày làm việc) ÷ số hồ sơ đã giải quyết", None,
         "not_measured", SPEC,
         note="Đặc tả chỉ nêu cách tính, không nêu điểm; số liệu có trên bảng điều khiển."),
    # Group 3, online services: 12 points, split as S1 implements it.
    _row("3.1", G3, "Tỷ lệ TTHC cung cấp dịch vụ công trực tuyến",
         "TTHC có DVCTT (một phần hoặc toàn trình) ÷ TTHC thuộc thẩm quyền", 2,
         "proportional_to_target", f"{SPEC}; {S1}", numerator="procedures_online",
         denominator="procedures", target=80,
         note="2 điểm theo S1; ≥ 80 % đủ điểm, dưới đó tỷ lệ × 2 ÷ 80 % theo đặc tả."),
    _row("3.2", G3, "Tỷ lệ DVCTT có phát sinh hồ sơ",
         "TTHC có DVCTT có ít nhất một hồ sơ nộp trực tuyến trong kỳ ÷ TTHC có DVCTT", 4,
         "proportional", f"{SPEC}; {S1}", numerator="procedures_online_used",
         denominator="procedures_online", note="4 điểm, tỷ lệ × 4 theo S1."),
    _row("3.3", G3, "Tỷ lệ hồ sơ TTHC nộp trực tuyến",
         "Hồ sơ tiếp nhận trực tuyến trong kỳ (kể cả qua đại lý) ÷ hồ sơ tiếp nhận trong kỳ", 6,
         "proportional_to_target", f"{SPEC}; {S1}", numerator="online_received",
         denominator="received", target=50,
         note="6 điểm theo S1; ≥ 50 % đủ điểm, dưới đó tỷ lệ × 6 ÷ 50 % theo đặc tả."),
    # Group 4, online payment: 10 points, split as S1 implements it.
    _row("3.5", G4, "Tỷ lệ TTHC có nghĩa vụ tài chính được tích hợp thanh toán trực tuyến",
         "TTHC có hồ sơ thanh toán trực tuyến ÷ TTHC có thu phí, lệ phí", 2, "not_measured",
         f"{SPEC}; {S1}",
         note="Đặc tả: ≥ 80 % đủ điểm; S1: ≥ 50 % đủ điểm, dưới đó 2 × 0,8. Chưa đo: cần danh "
              "mục phí của thủ tục."),
    _row("3.5b", G4, "TTHC có yêu cầu nghĩa vụ tài chính được cung cấp trên Cổng DVCQG",
         "S1 cho cố định 2 điểm", 2, "not_measured", S1,
         note="Không có công thức trong đặc tả; không cộng."),
    _row("3.6", G4, "Tỷ lệ hồ sơ thanh toán trực tuyến",
         "Hồ sơ có thu phí đã thanh toán trực tuyến (tiếp nhận trong kỳ) ÷ hồ sơ có thu phí", 6,
         "proportional_to_target", f"{SPEC}; {S1}", numerator="paid_online",
         denominator="fee_bearing", target=30,
         note="Mục tiêu 30 % theo S1 (đặc tả không nêu ngưỡng). Dưới mục tiêu S1 cho 3 × 0,3 "
              "(có vẻ là lỗi); ở đây theo quy tắc chung của đặc tả: tỷ lệ × 6 ÷ 30 %."),
    # Group 5, digitisation: 22 points [QĐ766]; S1 measures 12 of them.
    _row("4.1", G5, "Tỷ lệ hồ sơ có cấp kết quả điện tử",
         "Hồ sơ đã giải quyết có kết quả điện tử ÷ hồ sơ đã giải quyết có kết quả", 6,
         "proportional", f"{SPEC}; {S1}", numerator="digital_result",
         denominator="with_result", note="6 điểm, tỷ lệ × 6 theo S1."),
    _row("4.2", G5, "Tỷ lệ số hóa hồ sơ, kết quả giải quyết TTHC",
         "Hồ sơ có thành phần hồ sơ số hóa và kết quả điện tử ÷ hồ sơ thuộc thẩm quyền", 4,
         "not_measured", f"{SPEC}; {S1}", target=80,
         note="≥ 80 % đủ điểm. Chưa đo: cần cờ số hóa từng thành phần hồ sơ."),
    _row("4.3", G5, "Tỷ lệ khai thác, sử dụng lại thông tin, dữ liệu số hóa",
         "Hồ sơ có thành phần dùng lại dữ liệu số hóa ÷ hồ sơ tiếp nhận trong kỳ", 2,
         "not_measured", f"{SPEC}; {S1}", target=80,
         note="≥ 80 % đủ điểm. Chưa đo: kho dữ liệu cá nhân đang được xây dựng."),
    _row("4.4", G5, "Tỷ lệ hồ sơ số hóa có kết nối, chia sẻ phục vụ tái sử dụng",
         "Hồ sơ lấy thành phần từ kho dữ liệu cá nhân hoặc đồng bộ kết quả vào kho ÷ hồ sơ "
         "tiếp nhận trong kỳ", None, "not_measured", SPEC,
         note="Số điểm chưa xác minh (10 điểm còn lại của nhóm chia cho 4.4, 4.5 và chỉ số "
              "khác)."),
    _row("4.5", G5, "Ứng dụng dữ liệu dân cư",
         "TTHC có hồ sơ kết nối CSDL quốc gia về dân cư ÷ TTHC có đối tượng là công dân", None,
         "not_measured", SPEC, note="Số điểm chưa xác minh."),
    # Group 6, satisfaction: 18 points [QĐ766]; the 6 + 6 + 6 split is inferred.
    _row("5.1", G6, "Tỷ lệ phản ánh, kiến nghị xử lý đúng hạn",
         "PAKN xử lý đúng hạn ÷ PAKN thuộc thẩm quyền", 6, "not_measured", f"{QD766}; {SPEC}",
         note="Chia 6 + 6 + 6 là suy luận. Chưa đo: hệ thống phản ánh, kiến nghị chưa có."),
    _row("5.2", G6, "Tỷ lệ hài lòng trong xử lý phản ánh, kiến nghị",
         "(PAKN − PAKN không hài lòng, trễ hạn hoặc phản ánh lại) ÷ PAKN", 6, "not_measured",
         f"{QD766}; {SPEC}", note="Chia 6 + 6 + 6 là suy luận. Chưa đo."),
    _row("5.3", G6, "Tỷ lệ hài lòng trong tiếp nhận, giải quyết TTHC",
         "(Hồ sơ kết thúc trong kỳ − hồ sơ đánh giá «Không hài lòng») ÷ hồ sơ kết thúc trong kỳ",
         6, "proportional_to_target", f"{QD766}; {SPEC}", numerator="satisfied",
         denominator="rateable", target=90,
         note="Tối đa 6 điểm [QĐ766]; ≥ 90 % đủ điểm, dưới đó tỷ lệ × 6 ÷ 90 %. Biến thể của "
              "đặc tả (100 % − tỷ lệ trễ hạn − tỷ lệ không hài lòng) không dùng: nhóm 2 đã tính "
              "trễ hạn."),
]


# Indicator 1.4 measured from the month the platform synced with the national portal (issue #17:
# the outbox in nationalsync/, the rate in nationalsync/rates.py).
SYNC_FROM = date(2026, 12, 1)
INDICATORS_SYNC = [{
    **_row("1.4", G1, "Tỷ lệ hồ sơ đồng bộ lên Cổng DVCQG",
           "Hồ sơ tiếp nhận trong kỳ đã đồng bộ (không còn bản ghi chờ gửi hoặc lỗi) ÷ hồ sơ "
           "tiếp nhận trong kỳ", 6, "proportional_to_target", f"{SPEC}; {S1}",
           numerator="received_synced", denominator="received", target=80,
           note="6 điểm như S1 (DiemTyLeDongBoDVCQuocGia). Quy tắc chung của đặc tả (≥ 80 % đủ "
                "điểm, dưới đó tỷ lệ × 6 ÷ 80 %); mục tiêu riêng của chỉ số này chưa xác minh."),
    "effective_from": SYNC_FROM}]


def seed_sync(Indicator) -> None:  # noqa: N803 - the historical model, in a migration
    for row in INDICATORS_SYNC:
        Indicator.objects.update_or_create(code=row["code"], effective_from=row["effective_from"],
                                           defaults=row)


def seed(Indicator) -> None:  # noqa: N803 - the historical model, in a migration
    for row in INDICATORS_2022:
        Indicator.objects.update_or_create(code=row["code"], effective_from=row["effective_from"],
                                           defaults=row)


# Indicators 5.1 and 5.2 measured from the month the platform received feedback (issue #22: the
# feedback app, feedback/services.py:counts). The feedback of the period is the feedback received
# in it; "real time" as the specification counts dossiers (2.1): an open feedback counts as on
# time until its due time passes.
FEEDBACK_FROM = date(2026, 12, 1)
INDICATORS_FEEDBACK = [
    {**_row("5.1", G6, "Tỷ lệ phản ánh, kiến nghị xử lý đúng hạn",
            "(PAKN trả lời đúng hạn + PAKN đang xử lý chưa quá hạn) ÷ PAKN tiếp nhận trong kỳ",
            6, "proportional_to_target", f"{QD766}; {SPEC}", numerator="feedback_on_time",
            denominator="feedback_received", target=80,
            note="Chia 6 + 6 + 6 là suy luận. Quy tắc chung của đặc tả (≥ 80 % đủ điểm, dưới đó "
                 "tỷ lệ × 6 ÷ 80 %); mục tiêu riêng của chỉ số này chưa xác minh. Hạn trả lời: "
                 "10 ngày làm việc (Nghị định 20/2008/NĐ-CP, sửa đổi)."),
     "effective_from": FEEDBACK_FROM},
    {**_row("5.2", G6, "Tỷ lệ hài lòng trong xử lý phản ánh, kiến nghị",
            "(PAKN − PAKN người gửi đánh giá «Không hài lòng», trả lời trễ hạn hoặc quá hạn chưa "
            "trả lời) ÷ PAKN tiếp nhận trong kỳ", 6, "proportional_to_target",
            f"{QD766}; {SPEC}", numerator="feedback_satisfied",
            denominator="feedback_received", target=90,
            note="Chia 6 + 6 + 6 là suy luận; mục tiêu 90 % như 5.3 (chưa xác minh riêng). "
                 "«Phản ánh lại» (gửi lại cùng nội dung) chưa được nhận biết: chưa trừ."),
     "effective_from": FEEDBACK_FROM},
]


def seed_feedback(Indicator) -> None:  # noqa: N803 - the historical model, in a migration
    for row in INDICATORS_FEEDBACK:
        Indicator.objects.update_or_create(code=row["code"], effective_from=row["effective_from"],
                                           defaults=row)


# Decision 766 in full (issue #22, item 5): every indicator the platform's own data can give is
# measured from this month, with its formula from the index's technical specification [SPEC]
# (the decision's formulas as the national portal computes them); the others keep
# ``not_measured`` and say why in their note, which the IOC shows. The quantities are in
# ``metrics.digital_counts`` and ``metrics._procedure_counts``.
FULL_FROM = date(2026, 12, 1)
INDICATORS_FULL = [
    {**_row("1.1", G1, "Tỷ lệ TTHC công bố đúng hạn",
            "TTHC có quyết định công bố ban hành ≤ ngày có hiệu lực muộn nhất của văn bản quy "
            "định − 5 ngày làm việc (cấp tỉnh) ÷ TTHC được công bố trong kỳ", None,
            "not_measured", SPEC,
            note="Không đo được tại hệ thống: ngày ban hành quyết định công bố và ngày có hiệu lực "
                 "của văn bản quy định nằm ở CSDL quốc gia về TTHC; danh mục của hệ thống chỉ ghi "
                 "số quyết định công bố dưới dạng chữ. Số điểm chưa xác minh."),
     "effective_from": FULL_FROM},
    {**_row("1.2", G1, "Tỷ lệ TTHC được cập nhật, công khai đúng hạn",
            "TTHC bấm «Công khai» trên CSDL quốc gia về TTHC ≤ ngày quyết định công bố + 5 ngày "
            "làm việc (cấp tỉnh) ÷ TTHC được công bố", 4, "not_measured", f"{QD766}; {SPEC}",
            note="Không đo được tại hệ thống: việc công khai trên CSDL quốc gia về TTHC diễn ra "
                 "ngoài hệ thống, và ngày của quyết định công bố không được lưu dưới dạng ngày."),
     "effective_from": FULL_FROM},
    {**_row("1.3", G1, "Tỷ lệ TTHC công khai đầy đủ các bộ phận tạo thành",
            "TTHC đang áp dụng có đủ tên, trình tự, cách thức thực hiện, thành phần hồ sơ, thời "
            "hạn giải quyết, đối tượng, cơ quan thực hiện (khoản 2 Điều 8 Nghị định 63/2010/NĐ-CP) "
            "÷ TTHC đang áp dụng thuộc thẩm quyền (số liệu tại thời điểm xem)", 6,
            "proportional_to_target", f"{SPEC}; {S1}", numerator="procedures_complete",
            denominator="procedures", target=80,
            note="6 điểm như S1; quy tắc chung của đặc tả (≥ 80 % đủ điểm, dưới đó tỷ lệ × 6 ÷ "
                 "80 %); mục tiêu riêng chưa xác minh. Đọc phiên bản đang áp dụng của từng thủ "
                 "tục trong danh mục."),
     "effective_from": FULL_FROM},
    {**_row("2.2", G2, "Thời gian giải quyết trung bình (ngày làm việc)",
            "Tổng thời gian giải quyết (ngày làm việc, trừ thời gian chờ bổ sung) của hồ sơ kết "
            "thúc xử lý trong kỳ có kết quả hoặc từ chối ÷ số hồ sơ đó", None, "average", SPEC,
            numerator="processing_days", denominator="resolved",
            note="Chỉ số theo dõi, không tính điểm (đặc tả chỉ nêu cách tính). Giá trị là số ngày "
                 "làm việc, không phải tỷ lệ."),
     "effective_from": FULL_FROM},
    {**_row("3.5", G4, "Tỷ lệ TTHC có nghĩa vụ tài chính được tích hợp thanh toán trực tuyến",
            "TTHC có hồ sơ có thu phí được thanh toán trực tuyến trong kỳ ÷ TTHC có hồ sơ có thu "
            "phí tiếp nhận trong kỳ", 2, "proportional_to_target", f"{SPEC}; {S1}",
            numerator="procedures_paid_online", denominator="procedures_fee", target=80,
            note="Đặc tả: mẫu số là TTHC có thông tin phí trên CSDL quốc gia; tại hệ thống: TTHC "
                 "có hồ sơ phải nộp phí trong kỳ. ≥ 80 % đủ điểm, dưới đó tỷ lệ × 2 ÷ 80 % theo "
                 "đặc tả (S1 dùng 50 % và 2 × 0,8)."),
     "effective_from": FULL_FROM},
    {**_row("3.5b", G4, "TTHC có yêu cầu nghĩa vụ tài chính được cung cấp trên Cổng DVCQG",
            "Không có công thức trong đặc tả; S1 cho cố định 2 điểm", 2, "not_measured", S1,
            note="Không đo được tại hệ thống: việc cung cấp thanh toán trên Cổng DVCQG do Cổng "
                 "quốc gia ghi nhận, đặc tả không nêu công thức; không cộng điểm cố định."),
     "effective_from": FULL_FROM},
    {**_row("4.2", G5, "Tỷ lệ số hóa hồ sơ, kết quả giải quyết TTHC",
            "Hồ sơ kết thúc xử lý trong kỳ có kết quả, có ít nhất một thành phần hồ sơ điện tử "
            "(nộp trực tuyến hoặc số hóa khi tiếp nhận) và có kết quả điện tử ÷ hồ sơ kết thúc xử "
            "lý trong kỳ có kết quả", 4, "proportional_to_target", f"{SPEC}; {S1}",
            numerator="digitised", denominator="with_result", target=80,
            note="≥ 80 % đủ điểm, dưới đó tỷ lệ × 4 ÷ 80 % theo đặc tả (S1: 4 × 0,8)."),
     "effective_from": FULL_FROM},
    {**_row("4.3", G5, "Tỷ lệ khai thác, sử dụng lại thông tin, dữ liệu số hóa",
            "Hồ sơ tiếp nhận trong kỳ có ít nhất một thành phần lấy lại từ dữ liệu đã số hóa "
            "(kho dữ liệu của công dân) ÷ hồ sơ tiếp nhận trong kỳ", 2, "proportional_to_target",
            f"{SPEC}; {S1}", numerator="reused", denominator="received", target=80,
            note="≥ 80 % đủ điểm, dưới đó tỷ lệ × 2 ÷ 80 % theo đặc tả (S1: 2 × 0,8)."),
     "effective_from": FULL_FROM},
    {**_row("4.4", G5, "Tỷ lệ hồ sơ số hóa có kết nối, chia sẻ phục vụ tái sử dụng",
            "Hồ sơ tiếp nhận trong kỳ có thành phần lấy từ kho dữ liệu cá nhân hoặc có kết quả "
            "điện tử đã đưa vào kho của người được cấp ÷ hồ sơ tiếp nhận trong kỳ", None,
            "proportional_to_target", SPEC, numerator="shared", denominator="received",
            target=80,
            note="Đo được nhưng chưa tính điểm: số điểm chưa xác minh (10 điểm còn lại của nhóm "
                 "chia cho 4.4, 4.5 và chỉ số khác)."),
     "effective_from": FULL_FROM},
    {**_row("4.5", G5, "Ứng dụng dữ liệu dân cư",
            "Hồ sơ của công dân tiếp nhận trong kỳ nộp từ tài khoản định danh điện tử VNeID hoặc "
            "có thành phần lấy từ kho dữ liệu ÷ hồ sơ của công dân tiếp nhận trong kỳ", None,
            "proportional_to_target", SPEC, numerator="population_data",
            denominator="citizen_received", target=80,
            note="Biến thể theo hồ sơ của đặc tả (đặc tả đếm cả theo TTHC). Đo được nhưng chưa "
                 "tính điểm: số điểm chưa xác minh. Truy vấn CSDL dân cư khi tiếp nhận trực tiếp "
                 "chưa được ghi nhận."),
     "effective_from": FULL_FROM},
]
FULL_CODES = tuple(row["code"] for row in INDICATORS_FULL)


def seed_full(Indicator) -> None:  # noqa: N803 - the historical model, in a migration
    for row in INDICATORS_FULL:
        Indicator.objects.update_or_create(code=row["code"], effective_from=row["effective_from"],
                                           defaults=row)
