from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0003_beats"),
    ]

    operations = [
        migrations.CreateModel(
            name="CacheGeneration",
            fields=[
                ("name", models.CharField(max_length=40, primary_key=True, serialize=False)),
                ("number", models.BigIntegerField(default=0)),
            ],
        ),
    ]
