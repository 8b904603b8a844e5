# The signing job's lease in the database (results.signing_jobs).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('results', '0004_register'),
    ]

    operations = [
        migrations.AddField(
            model_name='result',
            name='lease_token',
            field=models.CharField(blank=True, max_length=32),
        ),
        migrations.AddField(
            model_name='result',
            name='lease_until',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='result',
            name='queued_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='result',
            name='signing_attempts',
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddIndex(
            model_name='result',
            index=models.Index(fields=['signing_state', 'lease_until'], name='results_res_signing_b2ddda_idx'),
        ),
    ]
