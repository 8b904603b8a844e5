"""``dichvucong backup`` and ``dichvucong restore`` (core.backup): a deployment with a filed
dossier and a signed result is backed up, and the backup restored into an empty data folder and
an empty database (a new SQLite file, or a new PostgreSQL database restored with pg_restore) by
another process, which then serves the same dossier and verifies the result.

Transactional: the backup reads what is committed (pg_dump is its own connection), and the
flush before and after it empties the database, so the test makes the small world it needs."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
import uuid

import pytest
from django.core.management import call_command
from django.db import connection

from dichvucong.accounts.models import User
from dichvucong.agencies.models import Agency
from dichvucong.catalog.models import Procedure
from dichvucong.core import backup
from tests import builders, procedure_flow
from tests.test_backoffice import PDF, pdf
from tests.test_worker import _database_url

CODE = "TST.900020"

CHECK = textwrap.dedent("""
    import hashlib, json, sys
    import django
    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from dichvucong.accounts.models import User
    from dichvucong.dossiers import queuecounts
    from dichvucong.results import services

    backup_file, key_file, code, token, attachment = sys.argv[1:6]
    call_command("restore", backup_file, key_file=key_file)
    citizen, officer = Client(), Client()
    citizen.force_login(User.objects.get(username="bk.congdan"))
    officer.force_login(User.objects.get(username="bk.motcua"))
    page = citizen.get(f"/ho-so/{code}/")
    result = citizen.get(f"/ket-qua/{token}/")
    pdf = b"".join(result.streaming_content) if result.streaming else result.content
    upload = officer.get(f"/mot-cua/ho-so/{code}/tep/{attachment}/")
    print(json.dumps({
        "page": page.status_code, "code_shown": code in page.content.decode(),
        "result": result.status_code, "pdf_sha256": hashlib.sha256(pdf).hexdigest(),
        "verified": services.verify_pdf(pdf).outcome,
        "upload": hashlib.sha256(b"".join(upload.streaming_content)).hexdigest(),
        # The queue's counts, kept by triggers: the restore's rows fire none twice.
        "queue_counts": str(queuecounts.differences()),
    }))
""")


def world() -> tuple[Agency, Procedure, User]:
    agency, procedure = builders.own_world(CODE, "Thủ tục thử sao lưu", "000.97.97.H17",
                                           "Đơn vị thử sao lưu", "thu-sao-luu")
    citizen, _ = User.objects.get_or_create(username="bk.congdan",
                                            defaults={"full_name": "Nguyễn Văn Sao Lưu"})
    return agency, procedure, citizen


def target_database(tmp_path):
    """An empty database of this pass's kind for the restore, and how to drop it after."""
    if connection.vendor == "sqlite":
        return f"sqlite:///{tmp_path / 'restored.sqlite3'}", lambda: None
    name = f"restore_{uuid.uuid4().hex[:12]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')

    return _database_url().rsplit("/", 1)[0] + "/" + name, drop


@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_into_an_empty_deployment(settings, tmp_path, tmp_path_factory):
    # Only this test's world: rows other tests committed (the browser tests') name files that
    # are not in this test's storage.
    call_command("flush", interactive=False, verbosity=0)
    settings.MEDIA_ROOT = str(tmp_path / "media")
    procedure_flow.signing_keys(settings, tmp_path_factory, hai_chau=False)
    agency, procedure, citizen = world()
    dossier = builders.filed(procedure, where=agency, citizen=citizen,
                             attach=[("Tờ khai", pdf("to-khai.pdf"))])
    attachment = dossier.attachments.get()
    result = procedure_flow.process_and_sign(dossier)
    reception = procedure_flow.officials(agency).reception
    User.objects.filter(pk=reception.pk).update(username="bk.motcua")

    key, archive = tmp_path / "backup.key", tmp_path / "platform.backup"
    call_command("backup", new_key=key)
    assert oct(key.stat().st_mode)[-3:] == "600"
    call_command("backup", archive, key_file=key)
    content = archive.read_bytes()
    assert PDF not in content and b"bk.congdan" not in content  # sealed

    # Refused: a wrong key, an altered byte, a restore over a deployment that has data.
    other = tmp_path / "other.key"
    backup.new_key(other)
    with pytest.raises(backup.BackupError, match="wrong key"):
        list(backup.unsealed_chunks(archive.open("rb"), backup.load_key(other)))
    altered = tmp_path / "altered.backup"
    altered.write_bytes(content[:-40] + bytes([content[-40] ^ 1]) + content[-39:])
    with pytest.raises(backup.BackupError, match="altered"):
        list(backup.unsealed_chunks(altered.open("rb"), backup.load_key(key)))
    with pytest.raises(backup.BackupError, match="not empty"):
        backup.restore(archive, backup.load_key(key))

    # Restored by another process into an empty data folder and database.
    url, drop = target_database(tmp_path)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DICHVUCONG_", "DATABASE_URL", "HUEY_"))}
    env.update({"DICHVUCONG_MODE": "test", "DJANGO_SETTINGS_MODULE": "dichvucong.settings",
                "DICHVUCONG_DATA_DIR": str(tmp_path / "restored"), "DATABASE_URL": url})
    try:
        completed = subprocess.run(
            [sys.executable, "-c", CHECK, str(archive), str(key), dossier.code, result.token,
             attachment.token], env=env, capture_output=True, text=True, timeout=300)
    finally:
        drop()
    assert completed.returncode == 0, completed.stderr[-3000:]
    lines = completed.stdout.strip().splitlines()
    assert "1/1 signed results verified, 0 problem(s)" in lines[-2], lines
    assert "drill: 1 dossiers, 2 files read back" in lines[-2]
    served = json.loads(lines[-1])
    assert served == {"page": 200, "code_shown": True, "result": 200,
                      "pdf_sha256": result.pdf_sha256, "verified": "valid",
                      "upload": hashlib.sha256(PDF).hexdigest(), "queue_counts": "{}"}
