"""Citizen queries for the catalogue search, each with the procedure code(s) a citizen most
likely means. Used by tests/test_search.py (the intended procedure must be in the top 3) and
bench/bench_search.py (latency). Codes are from src/dichvucong/catalog/data/; DNG.* are the
local codes of the curated city records (procedures.json, by position)."""

from __future__ import annotations

# Identity card codes: issue (from 14, at commune / province), renewal, re-issue.
_CCCD_ISSUE = ("1.014061", "2.000200")
_CCCD_RENEW = ("1.014063", "2.001195")
_CCCD_REISSUE = ("1.014064", "2.001194")
_LAND_CERTIFICATE = ("1.013978", "1.012753", "1.012783", "1.012787", "1.013831")

QUERIES: list[tuple[str, tuple[str, ...]]] = [
    # Birth, death, marriage
    ("dang ky khai sinh", ("1.001193",)),
    ("Đăng ký khai sinh", ("1.001193",)),
    ("khai sinh", ("1.001193",)),
    ("làm giấy khai sinh cho con", ("1.001193",)),
    ("khia sinh", ("1.001193",)),  # typo: transposed letters
    ("dangky khaisinh", ("1.001193",)),  # typed without spaces
    ("đăng ký lại khai sinh", ("1.004884",)),
    ("khai sinh có yếu tố nước ngoài", ("2.000528",)),
    ("dang ky ket hon", ("1.000894",)),
    ("ĐĂNG KÝ KẾT HÔN", ("1.000894",)),
    ("  Đăng   ký, kết-hôn!! ", ("1.000894",)),
    ("ket hon voi nguoi nuoc ngoai", ("2.000806",)),
    ("khai tu", ("1.000656",)),
    ("giấy báo tử", ("1.000656",)),
    ("xac nhan doc than", ("1.004873",)),
    ("giấy xác nhận tình trạng hôn nhân", ("1.004873",)),
    ("trích lục khai sinh", ("2.000635",)),
    # Residence
    ("nhập hộ khẩu", ("1.004222",)),
    ("thuong tru", ("1.004222",)),
    ("đăng ký thường trú cho con", ("1.004222",)),
    ("đăng kí tạm trú", ("1.004194",)),
    ("tam tru", ("1.004194",)),
    ("thue tro dang ky tam tru", ("1.004194",)),
    ("khai báo tạm vắng", ("1.003677",)),
    ("báo tạm vắng", ("1.003677",)),
    ("tách hộ khẩu", ("1.010038",)),
    ("cắt hộ khẩu", ("1.003197",)),
    ("xác nhận cư trú CT07", ("1.010041",)),
    # Driving licence
    ("đổi bằng lái xe", ("3.000347",)),
    ("GPLX bị mất", ("3.000348",)),
    ("làm lại bằng lái", ("3.000348",)),
    ("giây phep lai xe", ("3.000346", "3.000347", "3.000348")),
    ("bằng lái quốc tế", ("3.000353",)),
    # Identity card, passport
    ("làm CCCD", _CCCD_ISSUE + _CCCD_RENEW),
    ("đổi căn cước công dân", _CCCD_RENEW),
    ("cap lai can cuoc", _CCCD_REISSUE),
    ("CMND", _CCCD_ISSUE + _CCCD_RENEW + _CCCD_REISSUE + ("1.012566",)),
    ("làm hộ chiếu", ("1.001456",)),
    ("passport", ("1.001456",)),
    ("mất hộ chiếu", ("1.001445", "1.010385", "1.010386", "1.001456")),
    # Justice, certification
    ("lý lịch tư pháp", ("DNG.707970", "3.000333")),
    ("xin LLTP", ("DNG.707970", "3.000333")),
    ("sao y ban chinh", ("2.000815",)),
    ("công chứng giấy tờ", ("2.000815",)),
    ("chứng thực chữ ký", ("2.000884",)),
    ("chứng thực di chúc", ("2.001019",)),
    # Business
    ("đăng ký hộ kinh doanh", ("1.001612",)),
    ("hộ kinh doanh", ("1.001612",)),
    ("mở quán cà phê", ("1.001612",)),
    ("HKD", ("1.001612",)),
    ("thành lập công ty", ("2.001610", "2.001583", "2.001199", "2.002043", "2.002042")),
    ("giấy phép an toàn thực phẩm", ("2.001827",)),
    ("ATTP", ("2.001827",)),
    ("giấy phép bán rượu", ("DNG.375034",)),
    ("mở công ty du lịch lữ hành", ("DNG.802323",)),
    # Land and construction
    ("sổ đỏ", _LAND_CERTIFICATE),
    ("cấp sổ đỏ lần đầu", ("1.013978", "1.012753")),
    ("làm sổ đỏ", ("1.013978",)),  # households, not the organisations' 1.012753
    ("sang tên sổ đỏ", ("1.013831", "1.012787")),
    ("đổi sổ hồng", ("1.012783",)),
    ("xin phép xây nhà", ("DNG.772079",)),
    ("GPXD", ("DNG.772079", "DNG.308154", "DNG.495283", "1.013225")),
    ("sửa nhà", ("DNG.308154",)),
    ("sử dụng vỉa hè", ("DNG.269625", "1.013274")),
    ("lòng đường hè phố", ("DNG.269625", "1.013274")),
    # Labour, insurance, health, welfare
    ("trợ cấp thất nghiệp", ("DNG.100401",)),
    ("bảo hiểm thất nghiệp", ("DNG.100401",)),
    ("thẻ BHYT", ("2.000639", "1.001939", "1.002438", "1.001294")),
    ("rút BHXH một lần", ("1.001613",)),
    ("gia hạn giấy phép lao động", ("1.014201",)),
    ("chứng chỉ hành nghề y", ("DNG.205328",)),
    ("hành nghề khám chữa bệnh", ("DNG.205328",)),
    ("trợ cấp xã hội hàng tháng", ("DNG.593232",)),
    ("hộ nghèo", ("1.011606", "1.011607")),
    ("bản sao bằng tốt nghiệp", ("DNG.183559",)),
    # Vehicles
    ("đăng ký xe máy", ("1.013067", "1.012575", "1.013066")),
    ("sang tên xe", ("1.013076",)),
]
