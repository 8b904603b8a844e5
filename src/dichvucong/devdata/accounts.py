"""Demo accounts: one for every role (docs/architecture.md «Roles»), all with the same demo
password."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from dichvucong.accounts.models import Membership, Role, User
from dichvucong.agencies.models import Agency

DEMO_PASSWORD = "demo-dichvucong"  # noqa: S105 - published demo credential, demo mode only


@dataclass(frozen=True)
class DemoAccount:
    username: str
    full_name: str
    role: str | None  # None: a citizen
    agency: str | None  # agency name, or None
    description: str
    phone: str = ""  # verified: where a service agent's consent code goes in the demo
    position: str = ""  # the leader's official position, printed on the results they sign


HAI_CHAU = "Ủy ban nhân dân phường Hải Châu"
CITY = "Ủy ban nhân dân thành phố Đà Nẵng"
JUSTICE = "Sở Tư pháp"
HAI_CHAU_POLICE = "Công an phường Hải Châu"
SOCIAL_INSURANCE = "Bảo hiểm xã hội thành phố Đà Nẵng"

DEMO_ACCOUNTS = [
    DemoAccount("congdan", "Nguyễn Văn An", None, None, "Công dân", phone="0905550001"),
    DemoAccount("doanhnghiep", "Trần Thị Bích", None, None, "Doanh nghiệp, hộ kinh doanh"),
    DemoAccount("daily.buudien", "Lê Văn Cường", Role.SERVICE_AGENT, HAI_CHAU,
                "Đại lý dịch vụ công (bưu điện)"),
    DemoAccount("tocongnghe", "Phạm Thị Dung", Role.DIGITAL_TEAM, HAI_CHAU,
                "Tổ công nghệ số cộng đồng"),
    DemoAccount("motcua.haichau", "Hoàng Văn Em", Role.RECEPTION_OFFICER, HAI_CHAU,
                "Cán bộ một cửa phường Hải Châu"),
    DemoAccount("chuyenvien.haichau", "Võ Thị Phương", Role.SPECIALIST, HAI_CHAU,
                "Chuyên viên phường Hải Châu"),
    DemoAccount("lanhdao.haichau", "Đặng Văn Giang", Role.LEADER, HAI_CHAU,
                "Phó Chủ tịch Ủy ban nhân dân phường Hải Châu", position="Phó Chủ tịch"),
    DemoAccount("motcua.sotuphap", "Bùi Thị Hạnh", Role.RECEPTION_OFFICER, JUSTICE,
                "Cán bộ một cửa Sở Tư pháp"),
    DemoAccount("chuyenvien.sotuphap", "Đỗ Văn Khoa", Role.SPECIALIST, JUSTICE,
                "Chuyên viên Sở Tư pháp"),
    DemoAccount("lanhdao.sotuphap", "Ngô Thị Lan", Role.LEADER, JUSTICE,
                "Phó Giám đốc Sở Tư pháp", position="Phó Giám đốc"),
    DemoAccount("thutruong.sotuphap", "Dương Văn Minh", Role.AGENCY_HEAD, JUSTICE,
                "Giám đốc Sở Tư pháp", position="Giám đốc"),
    # The other agencies of the combined procedures (liên thông, Nghị định 63/2024/NĐ-CP).
    DemoAccount("congan.haichau", "Phan Văn Sơn", Role.SPECIALIST, HAI_CHAU_POLICE,
                "Cán bộ đăng ký cư trú Công an phường Hải Châu"),
    DemoAccount("chuyenvien.bhxh", "Vũ Thị Thu", Role.SPECIALIST, SOCIAL_INSURANCE,
                "Chuyên viên Bảo hiểm xã hội thành phố"),
    DemoAccount("kiemsoat", "Lý Thị Ngọc", Role.PROCEDURE_CONTROLLER, CITY,
                "Cán bộ kiểm soát thủ tục hành chính"),
    DemoAccount("quantri.thutuc", "Trịnh Văn Ơn", Role.SERVICE_DESIGNER, JUSTICE,
                "Quản trị thủ tục Sở Tư pháp"),
    DemoAccount("ioc", "Mai Thị Phúc", Role.IOC_OPERATOR, CITY, "Cán bộ Trung tâm IOC"),
    DemoAccount("kiemtra", "Tạ Văn Quang", Role.INSPECTOR, CITY, "Cán bộ kiểm tra"),
    DemoAccount("tongdai", "Lưu Thị Sương", Role.HOTLINE_OPERATOR, CITY, "Tổng đài viên *1022"),
]


@transaction.atomic
def create_demo_accounts(password: str = DEMO_PASSWORD) -> list[DemoAccount]:
    wanted = {account.agency for account in DEMO_ACCOUNTS if account.agency}
    agencies = {a.name: a for a in Agency.objects.filter(name__in=wanted)}
    missing = wanted - set(agencies)
    if missing:
        raise RuntimeError(
            f"Thiếu cơ quan: {', '.join(sorted(missing))}; nạp dữ liệu cơ quan trước."
        )
    for account in DEMO_ACCOUNTS:
        phone = {"phone": account.phone, "phone_verified": True} if account.phone and not \
            User.objects.filter(phone=account.phone).exists() else {}
        user, created = User.objects.get_or_create(
            username=account.username, defaults={"full_name": account.full_name, **phone}
        )
        if created:
            user.set_password(password)
            user.save()
        if account.role:
            membership, _created = Membership.objects.get_or_create(
                user=user, agency=agencies[account.agency], role=account.role,
                defaults={"position": account.position})
            if account.position and not membership.position:  # a demo made before positions
                membership.position = account.position
                membership.save(update_fields=["position"])
    admin, created = User.objects.get_or_create(
        username="admin", defaults={"full_name": "Quản trị hệ thống", "is_staff": True,
                                    "is_superuser": True}
    )
    if created:
        admin.set_password(password)
        admin.save()
    return DEMO_ACCOUNTS
