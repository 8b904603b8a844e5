"""Rate limits hold across processes (the demo runs two web workers; production many), on the
embedded default (counters in the database) and on Redis; password spraying from one client is
stopped with a 429 page; the client is told apart by address, believing X-Forwarded-For only
from the configured proxies."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

import dichvucong
from dichvucong.accounts.models import User
from tests.conftest import require_component

PASSWORD = "Mat-khau-an-toan-2026"
ROOT = Path(__file__).resolve().parent.parent
# The documented limits (accounts/lockout.py): wrong passwords per account from one client,
# per client across accounts, in a window of 15 minutes.
PER_ACCOUNT_AND_CLIENT, PER_CLIENT, WINDOW_SECONDS = 10, 20, 15 * 60


@pytest.fixture(params=["database", "redis"])
def counters(request, settings):
    """The counters' store: the database (embedded default) or a real Redis server."""
    if request.param == "database":
        settings.REDIS_URL = ""
        yield ""
        return
    url = os.environ.get("DICHVUCONG_TEST_REDIS_URL", "")
    require_component("Redis", bool(url), "./run tests starts redis-server")
    import redis

    server = redis.Redis.from_url(url)

    def clear():
        keys = list(server.scan_iter("dichvucong:ratelimit:*"))
        if keys:
            server.delete(*keys)

    clear()
    settings.REDIS_URL = url
    yield url
    clear()


def _database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def login(client, username, password, address="127.0.0.1", **headers):
    return client.post("/dang-nhap/", {"username": username, "password": password},
                       REMOTE_ADDR=address, **headers)


@pytest.mark.django_db(transaction=True)
def test_two_processes_together_check_no_more_than_the_limit(counters):
    """Two processes (as the demo's two gunicorn workers) try 15 wrong passwords each, at the
    same time, against one account: together they check at most 10 (on main: 11 each, 22)."""
    User.objects.create_user(username="hai.tien.trinh", password=PASSWORD)
    env = {**os.environ, "DATABASE_URL": _database_url(),
           "DJANGO_SETTINGS_MODULE": "dichvucong.settings_test", "REDIS_URL": counters,
           # the same code as this process, and this tests package
           "PYTHONPATH": os.pathsep.join(filter(None, [
               str(Path(dichvucong.__file__).resolve().parent.parent), str(ROOT),
               os.environ.get("PYTHONPATH", "")]))}
    workers = [subprocess.Popen([sys.executable, "-m", "tests.login_attempts", "hai.tien.trinh",
                                 "15"], cwd=ROOT, env=env, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for _ in range(2)]
    try:
        for worker in workers:
            line = worker.stdout.readline()
            assert line.strip() == "ready", line + worker.stderr.read()
        for worker in workers:  # both start together
            worker.stdin.write("go\n")
            worker.stdin.flush()
        results = []
        for worker in workers:
            out, err = worker.communicate(timeout=120)
            assert worker.returncode == 0, err
            results.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    checked = sum(result["checked"] for result in results)
    refused = sum(result["refused"] for result in results)
    print(f"wrong passwords checked by the two processes together: {checked} "
          f"(limit {PER_ACCOUNT_AND_CLIENT}), refused: {refused}")
    assert checked == PER_ACCOUNT_AND_CLIENT
    assert refused == 30 - checked


@pytest.mark.django_db
def test_password_spraying_from_one_client_gets_429(client, counters):
    """One wrong password tried on many accounts from one client: after 20, a 429 page in
    Vietnamese with an honest Retry-After; other clients are not affected."""
    for number in range(25):
        User.objects.create_user(username=f"phun.{number}", password=PASSWORD)
    answers = [login(client, f"phun.{number}", "Mua-he-2026", "203.0.113.7")
               for number in range(25)]
    checked = [a for a in answers if "mật khẩu không đúng" in a.content.decode()]
    assert len(checked) == PER_CLIENT
    refused = answers[PER_CLIENT:]
    for answer in refused:
        page = answer.content.decode()
        assert answer.status_code == 429
        assert "Quá nhiều yêu cầu" in page and "thử lại sau 15 phút" in page
        assert 'name="viewport"' in page and 'href="/"' in page
        assert 0 < int(answer["Retry-After"]) <= WINDOW_SECONDS
    # Not even the right password is checked from there now …
    assert login(client, "phun.24", PASSWORD, "203.0.113.7").status_code == 429
    # … but the accounts' owners elsewhere log in.
    assert login(client, "phun.24", PASSWORD, "198.51.100.4").status_code == 302


@pytest.mark.django_db
def test_wrong_passwords_from_one_client_do_not_lock_the_owner_out(client, counters):
    """10 wrong passwords from an attacker's address pause the account there only; the owner,
    from her own address, still logs in."""
    User.objects.create_user(username="nan.nhan", password=PASSWORD)
    for attempt in range(10):
        assert "mật khẩu không đúng" in login(client, "nan.nhan", f"x{attempt}",
                                              "203.0.113.9").content.decode()
    refused = login(client, "nan.nhan", PASSWORD, "203.0.113.9")
    assert refused.status_code == 429
    assert "Đã nhập sai mật khẩu quá nhiều lần" in refused.content.decode()
    assert login(client, "nan.nhan", PASSWORD, "198.51.100.20").status_code == 302


@pytest.mark.django_db
def test_guesses_from_many_clients_pause_the_account_until_its_owner_resets(client, counters,
                                                                              settings):
    """50 wrong passwords from 5 addresses pause the account everywhere (a guess spread over
    addresses); the owner's password reset, proved with the code sent to her phone, lifts it."""
    import re

    from dichvucong.notify.models import SandboxMessage

    settings.ESMS_URL = ""  # the code goes to the sandbox gateway
    User.objects.create_user(username="nhieu.noi", password=PASSWORD, phone="0905999111",
                             phone_verified=True)
    for address in range(5):
        for attempt in range(PER_ACCOUNT_AND_CLIENT):
            login(client, "nhieu.noi", f"x{attempt}", f"203.0.113.{100 + address}")
    owner = "198.51.100.30"
    refused = login(client, "nhieu.noi", PASSWORD, owner)
    assert refused.status_code == 429
    assert "Đã nhập sai mật khẩu quá nhiều lần" in refused.content.decode()
    client.post("/quen-mat-khau/", {"contact": "0905999111"}, REMOTE_ADDR=owner)
    message = SandboxMessage.objects.filter(phone="0905999111").latest("created_at")
    code = re.search(r"\b(\d{6})\b", message.content).group(1)
    new = "Mot-mat-khau-moi-2027"
    done = client.post("/quen-mat-khau/xac-nhan/", {"code": code, "password1": new,
                                                    "password2": new}, REMOTE_ADDR=owner)
    assert done.status_code == 302
    assert login(client, "nhieu.noi", new, owner).status_code == 302


@pytest.mark.django_db
def test_a_right_password_gives_its_slot_back(client, counters):
    """Only wrong passwords count: 9 wrong and a right one leave room for one more wrong."""
    User.objects.create_user(username="dung.mat.khau", password=PASSWORD)
    for attempt in range(9):
        login(client, "dung.mat.khau", f"x{attempt}")
    assert login(client, "dung.mat.khau", PASSWORD).status_code == 302
    client.post("/dang-xuat/")
    assert "mật khẩu không đúng" in login(client, "dung.mat.khau", "y").content.decode()
    assert login(client, "dung.mat.khau", "z").status_code == 429


@pytest.mark.django_db
def test_the_admin_sites_login_has_the_same_limit(client, counters):
    User.objects.create_user(username="quan.tri.vien", password=PASSWORD, is_staff=True)
    for attempt in range(PER_ACCOUNT_AND_CLIENT):
        page = client.post("/quan-tri/login/", {"username": "quan.tri.vien",
                                                "password": f"x{attempt}"}).content.decode()
        assert "quá nhiều lần" not in page
    refused = client.post("/quan-tri/login/", {"username": "quan.tri.vien", "password": PASSWORD})
    assert refused.status_code == 200 and "quá nhiều lần" in refused.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_forged_x_forwarded_for_does_not_make_a_new_client(client, counters):
    """Without trusted proxies the header is ignored: a sprayer changing it is still one
    client."""
    answers = [login(client, f"khong.co.{n}", "Mua-he-2026", "203.0.113.8",
                     HTTP_X_FORWARDED_FOR=f"10.0.0.{n}") for n in range(PER_CLIENT + 1)]
    assert [a.status_code for a in answers][-1] == 429


@pytest.mark.django_db
def test_behind_a_trusted_proxy_clients_are_told_apart(client, counters, settings):
    """Behind the configured proxy the client is the nearest untrusted address of
    X-Forwarded-For; what a client writes on the left of the header changes nothing."""
    settings.TRUSTED_PROXIES = ["10.1.0.0/16"]

    def spray(real, forged):
        return [login(client, f"khong.co.{n}", "Mua-he-2026", "10.1.2.3",
                      HTTP_X_FORWARDED_FOR=f"{forged}{n}, {real}, 10.1.0.9").status_code
                for n in range(PER_CLIENT + 1)]

    assert spray("203.0.113.50", "192.0.2.")[-1] == 429
    # Another citizen behind the same proxy is someone else.
    assert login(client, "khong.co.x", "sai", "10.1.2.3",
                 HTTP_X_FORWARDED_FOR="198.51.100.77, 10.1.0.9").status_code == 200
    # The proxy's own address counts as no client at all.
    assert login(client, "khong.co.y", "sai", "10.1.2.3").status_code == 200


@pytest.mark.django_db
def test_public_lookup_limit_answers_429_with_retry_after(client, counters):
    statuses = [client.post("/tra-cuu/", {"ma": "x", "xac_minh": "1"}).status_code
                for _ in range(11)]
    assert statuses == [200] * 10 + [429]
    blocked = client.post("/tra-cuu/", {"ma": "x", "xac_minh": "1"})
    assert blocked.status_code == 429 and 0 < int(blocked["Retry-After"]) <= 600
