from django.db import migrations, models


def seed(apps, schema_editor):
    from dichvucong.monitor.seed import seed_full

    seed_full(apps.get_model("monitor", "Indicator"))


def unseed(apps, schema_editor):
    from dichvucong.monitor.seed import FULL_CODES, FULL_FROM

    apps.get_model("monitor", "Indicator").objects.filter(
        code__in=FULL_CODES, effective_from=FULL_FROM).delete()


class Migration(migrations.Migration):
    """Decision 766 in full: the indicators the platform's data gives become measured (1.3, 2.2,
    3.5, 4.2–4.5), the others keep the reason they cannot be (1.1, 1.2, 3.5b)."""

    dependencies = [("monitor", "0007_ioc_open_list")]

    operations = [
        migrations.AlterField(
            model_name="indicator", name="rule",
            field=models.CharField(choices=[
                ("proportional_to_target", "Đủ điểm khi đạt mục tiêu; dưới mục tiêu: tỷ lệ × "
                                           "điểm ÷ mục tiêu"),
                ("proportional", "Tỷ lệ × điểm"),
                ("threshold", "Đủ điểm khi đạt mục tiêu; dưới mục tiêu: điểm × hệ số"),
                ("constant", "Điểm cố định (không đo tại hệ thống)"),
                ("average", "Giá trị trung bình, không tính điểm"),
                ("not_measured", "Chưa đo được tại hệ thống")],
                max_length=30, verbose_name="cách tính điểm"),
        ),
        migrations.RunPython(seed, unseed),
    ]
