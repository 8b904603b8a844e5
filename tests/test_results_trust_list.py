"""The trust list's freshness, like a CRL's: an issue time, a next update and a growing sequence.
An overdue list is refused offline (accepted with a warning inside the grace), an older list than
one accepted before is refused (a replay from before a revocation), a newer one raises the kept
sequence; the published list and online verification are cached (a warm verification signs
nothing and reads no keys) and re-issued at once when a key or a result is revoked; the periodic
task re-issues a list before it expires."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.translation import gettext
from hypothesis import given
from hypothesis import strategies as st

from dichvucong.results import services, verifier
from dichvucong.results.models import Result, SigningState, TrustListIssue
from tests.results_helpers import approved_dossier, user

pytestmark = pytest.mark.django_db

_PKI = {}


@pytest.fixture(autouse=True)
def _pki(settings, tmp_path_factory):
    if "dir" not in _PKI:
        _PKI["dir"] = tmp_path_factory.mktemp("pki-trust")
    settings.RESULTS_PKI_DIR = str(_PKI["dir"])
    settings.RESULTS_TRUST_ROOTS = []
    settings.SITE_URL = "http://testserver"
    settings.RESULTS_TRUST_LIST_VALID_HOURS = 48
    settings.RESULTS_TRUST_LIST_GRACE_HOURS = 24
    cache.delete_many([services.PUBLISHED_CACHE_KEY, services.ONLINE_CACHE_KEY])


@pytest.fixture
def keys():
    from dichvucong.agencies.models import Agency

    with TestCase.captureOnCommitCallbacks(execute=True):
        services.ensure_demo_keys(Agency.objects.filter(name="Ủy ban nhân dân phường Hải Châu"))


def issue_result() -> Result:
    with TestCase.captureOnCommitCallbacks(execute=True):
        result = services.request_issue(approved_dossier(), user("chuyenvien.haichau"))
    result.refresh_from_db()
    assert result.signing_state == SigningState.DONE, result.signing_error
    return result


def issued(hours_ago: float) -> dict:
    """A signed issue made ``hours_ago`` (the next sequence number)."""
    moment = timezone.now() - timedelta(hours=hours_ago)
    return services.issue_trust_list("test", now=moment).document


def sequence_of(document: dict) -> int:
    return verifier.unverified_payload(document)["sequence"]


# --- the rules, plain ---------------------------------------------------------------------------

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
GRACE = timedelta(hours=24)


def listed(sequence: int = 7, *, issued: timedelta = timedelta(hours=-1),
           valid: timedelta = timedelta(hours=48)) -> verifier.TrustList:
    return verifier.TrustList(sequence=sequence, issued_at=NOW + issued,
                              next_update=NOW + issued + valid, publisher="https://dvc.example")


def test_freshness_rules():
    assert verifier.check_freshness(listed(), NOW, grace=GRACE) is None
    # Past next update by an hour: accepted, with a warning that says until when.
    warning = verifier.check_freshness(listed(issued=timedelta(hours=-49)), NOW, grace=GRACE)
    assert warning is not None and warning.code == "in_grace"
    assert "lúc 24/11/2026 07:00 UTC" in warning.text  # next update: an hour ago
    assert "đến 25/11/2026 07:00 UTC" in warning.text  # + the 24 h grace
    # Past the grace too: refused, and the message says since when and where to fetch.
    with pytest.raises(verifier.TrustListError) as refused:
        verifier.check_freshness(listed(issued=timedelta(hours=-73)), NOW, grace=GRACE)
    assert refused.value.code == "expired"
    assert "hết hạn" in refused.value.message.text and "https://dvc.example" in \
        refused.value.message.text
    # Without a grace, one second late is refused.
    with pytest.raises(verifier.TrustListError, match="expired"):
        verifier.check_freshness(listed(issued=timedelta(hours=-48, seconds=-1)), NOW,
                                 grace=timedelta(0))
    # Rolled back: lower than the sequence accepted before; the same one again is fine.
    with pytest.raises(verifier.TrustListError) as rolled:
        verifier.check_freshness(listed(6), NOW, grace=GRACE, last_sequence=7)
    assert rolled.value.code == "rolled_back" and "số 6" in rolled.value.message.text
    assert verifier.check_freshness(listed(7), NOW, grace=GRACE, last_sequence=7) is None
    assert verifier.check_freshness(listed(8), NOW, grace=GRACE, last_sequence=7) is None
    # A list without dates or sequence (made before this rule) cannot be judged: refused.
    with pytest.raises(verifier.TrustListError) as undated:
        verifier.check_freshness(verifier.TrustList(), NOW, grace=GRACE)
    assert undated.value.code == "undated"
    # Issued well after "now": the verifier's clock (or the list) is wrong.
    with pytest.raises(verifier.TrustListError) as future:
        verifier.check_freshness(listed(issued=timedelta(hours=2)), NOW, grace=GRACE)
    assert future.value.code == "from_the_future"


@given(age=st.integers(min_value=0, max_value=200 * 60), grace=st.integers(0, 72),
       valid=st.integers(1, 96), last=st.one_of(st.none(), st.integers(1, 20)),
       sequence=st.integers(1, 20))
def test_a_list_is_accepted_exactly_while_fresh_and_not_rolled_back(age, grace, valid, last,
                                                                    sequence):
    trust = listed(sequence, issued=-timedelta(minutes=age), valid=timedelta(hours=valid))
    overdue = timedelta(minutes=age) - timedelta(hours=valid)
    try:
        warning = verifier.check_freshness(trust, NOW, grace=timedelta(hours=grace),
                                           last_sequence=last)
    except verifier.TrustListError as exc:
        assert (last is not None and sequence < last) or overdue > timedelta(hours=grace)
        assert exc.message.text  # always a sentence for people
        return
    assert last is None or sequence >= last
    assert overdue <= timedelta(hours=grace)
    assert (warning is not None) == (overdue > timedelta(0))


def test_messages_are_vietnamese_with_english_through_i18n():
    with pytest.raises(verifier.TrustListError) as refused:
        verifier.check_freshness(listed(issued=timedelta(hours=-100)), NOW, grace=GRACE)
    message = refused.value.message
    assert message.localised(gettext).startswith("Danh sách tin cậy số 7 đã hết hạn")
    with translation.override("en"):
        english = message.localised(gettext)
    assert english != message.text and "expired" in english and "24" in english


# --- offline: the command ---------------------------------------------------------------------


def run(path, text: str, *extra, **options) -> tuple[str, int]:
    """The command's output and exit status."""
    out = io.StringIO()
    try:
        call_command("verify_result", text, *extra, trust_list=str(path), stdout=out, **options)
    except SystemExit as exit_:
        return out.getvalue(), int(exit_.code)
    except CommandError:
        return out.getvalue(), 1
    return out.getvalue(), 0


def test_offline_command_refuses_expired_and_rolled_back_lists(keys, tmp_path):
    result = issue_result()
    older, newer = issued(1), issued(0.5)
    assert sequence_of(newer) == sequence_of(older) + 1
    path = tmp_path / "trust.json"
    state = tmp_path / "trust.json.sequence"

    path.write_text(json.dumps(newer))
    out, status = run(path, result.qr_payload)
    assert status == 0 and out.startswith("valid:")
    assert json.loads(state.read_text())["sequence"] == sequence_of(newer)

    # A replay of the older list: refused, and the verdict says so (never "valid").
    path.write_text(json.dumps(older))
    out, status = run(path, result.qr_payload)
    assert status == 1 and out.startswith("trust_list_refused:") and "valid:" not in out
    assert f"số {sequence_of(older)} cũ hơn danh sách số {sequence_of(newer)}" in out
    assert json.loads(state.read_text())["sequence"] == sequence_of(newer)  # unchanged

    # A newer list is accepted and raises the kept sequence.
    newest = issued(0)
    path.write_text(json.dumps(newest))
    out, status = run(path, result.qr_payload, json=True)
    answer = json.loads(out)
    assert status == 0 and answer["outcome"] == "valid" and answer["warning"] is None
    assert answer["trust_list"]["sequence"] == sequence_of(newest)
    assert json.loads(state.read_text())["sequence"] == sequence_of(newest)

    # Expired beyond the grace (issued 73 h ago, valid 48 h, grace 24 h), with a fresh state.
    expired = tmp_path / "expired.json"
    expired.write_text(json.dumps(issued(73)))
    out, status = run(expired, result.qr_payload, json=True)
    answer = json.loads(out)
    assert status == 1 and answer["outcome"] == "trust_list_refused"
    assert answer["code"] == "expired" and "hết hạn" in answer["reason"]
    assert not (tmp_path / "expired.json.sequence").exists()  # a refused list raises nothing
    # … in English too.
    out, _status = run(expired, result.qr_payload, language="en")
    assert out.startswith("trust_list_refused: The trust list no.")
    # A wider grace (the verifier's own choice) accepts it, with a warning.
    out, status = run(expired, result.qr_payload, grace_hours=48)
    assert status == 0 and out.startswith("valid:") and "Cảnh báo" in out


def test_a_list_inside_the_grace_is_accepted_with_a_warning(keys, tmp_path):
    result = issue_result()
    path = tmp_path / "trust.json"
    path.write_text(json.dumps(issued(49)))  # next update was an hour ago
    out, status = run(path, services.verify_url(result.qr_payload))
    assert status == 0 and out.startswith("valid:")
    assert "Cảnh báo: danh sách tin cậy số" in out and "gia hạn" in out
    answer = json.loads(run(path, result.qr_payload, json=True)[0])
    assert answer["outcome"] == "valid" and "quá hạn cập nhật" in answer["warning"]
    # An explicit moment: the same list, checked a day later, is refused.
    later = (timezone.now() + timedelta(hours=24)).isoformat()
    out, status = run(path, result.qr_payload, now=later)
    assert status == 1 and out.startswith("trust_list_refused:")


def test_a_forged_or_foreign_list_is_still_refused_with_a_reason(keys, tmp_path):
    result = issue_result()
    document = issued(0)
    data = verifier.unverified_payload(document)
    data["sequence"] += 1000  # a forger cannot jump the sequence without the signing key
    import base64

    forged = dict(document, payload=base64.urlsafe_b64encode(json.dumps(data).encode())
                  .rstrip(b"=").decode())
    path = tmp_path / "forged.json"
    path.write_text(json.dumps(forged))
    out, status = run(path, result.qr_payload, json=True)
    assert status == 1 and json.loads(out)["code"] == "altered"
    assert not (tmp_path / "forged.json.sequence").exists()
    path.write_text(json.dumps(document))
    out, status = run(path, result.qr_payload, anchor=["00" * 32])
    assert status == 1 and out.startswith("trust_list_refused:")


# --- online: the cache and its invalidation ---------------------------------------------------


def test_warm_online_verification_signs_nothing_and_reads_no_keys(keys, client):
    result = issue_result()
    assert services.verify_text(result.qr_payload).outcome == "valid"  # warms the cache
    first = client.get("/xac-minh/danh-sach-tin-cay.json").json()
    with mock.patch.object(verifier, "sign_trust_list", wraps=verifier.sign_trust_list) as sign, \
            CaptureQueriesContext(connection) as queries:
        for _ in range(3):
            assert services.verify_text(result.qr_payload).outcome == "valid"
            assert client.get("/xac-minh/danh-sach-tin-cay.json").json() == first
            assert client.get("/xac-minh/", {"m": result.qr_payload}).status_code == 200
    assert sign.call_count == 0
    touched = " ".join(q["sql"] for q in queries.captured_queries)
    assert "results_issuerkey" not in touched and "results_trustlistissue" not in touched


def test_revoking_a_key_is_reflected_at_once(keys, client):
    result = issue_result()
    before = services.signed_trust_list()
    assert services.verify_text(result.qr_payload).outcome == "valid"
    with TestCase.captureOnCommitCallbacks(execute=True):
        key = services.revoke_key(result.kid, "Mất thiết bị ký số")
    assert key.revoked_at is not None
    outcome = services.verify_text(result.qr_payload)
    assert outcome.outcome == "not_genuine" and "thu hồi" in outcome.reason
    after = client.get("/xac-minh/danh-sach-tin-cay.json").json()
    assert sequence_of(after) > sequence_of(before)
    anchors = services.trust_list_anchors()
    fresh = verifier.open_signed_trust_list(after, anchors)
    assert fresh.keys[bytes.fromhex(result.kid)].revoked_at is not None
    assert verifier.verify(result.qr_payload, fresh).outcome == "not_genuine"
    # The list from before still says valid: that is why an older sequence is refused.
    stale = verifier.open_signed_trust_list(before, anchors)
    assert verifier.verify(result.qr_payload, stale).outcome == "valid"
    with pytest.raises(verifier.TrustListError, match="rolled back"):
        verifier.open_signed_trust_list(before, anchors, last_sequence=fresh.sequence)
    # Nothing more is signed with a revoked key, and it cannot be revoked twice.
    refused = issue_result_failing()
    assert refused.signing_state == SigningState.FAILED and "thu hồi" in refused.signing_error
    with pytest.raises(services.ResultError):
        services.revoke_key(result.kid, "Lần nữa")
    with pytest.raises(services.ResultError):
        services.revoke_key("00" * 8, "Không có")


def issue_result_failing() -> Result:
    with TestCase.captureOnCommitCallbacks(execute=True):
        result = services.request_issue(approved_dossier("Trần Văn Bình"),
                                        user("chuyenvien.haichau"))
    result.refresh_from_db()
    return result


def test_revoking_a_result_is_reflected_at_once_offline_and_online(keys, client, tmp_path):
    result = issue_result()
    before = services.signed_trust_list()
    assert services.verify_text(result.qr_payload).outcome == "valid"
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.revoke(result, user("lanhdao.haichau"), "Cấp sai đối tượng")
    assert services.verify_text(result.qr_payload).outcome == "revoked"
    after = client.get("/xac-minh/danh-sach-tin-cay.json").json()
    assert sequence_of(after) == sequence_of(before) + 1
    assert TrustListIssue.objects.get(sequence=sequence_of(after)).reason == "result_revoked"
    plain = client.get("/api/v1/results/trust-list").json()
    assert plain["sequence"] == sequence_of(after)
    assert {"number": result.number, "kid": result.kid, "status": "revoked"}.items() <= \
        plain["revoked_results"][0].items()
    # Offline: the new list names the revocation; the old one, replayed, is refused.
    path = tmp_path / "trust.json"
    path.write_text(json.dumps(after))
    out, status = run(path, result.qr_payload)
    assert status == 1 and out.startswith("revoked:")
    path.write_text(json.dumps(before))
    out, status = run(path, result.qr_payload)
    assert status == 1 and out.startswith("trust_list_refused:")


def test_revoked_key_command(keys, tmp_path):
    result = issue_result()
    out = io.StringIO()
    call_command("result_keys", revoke=result.kid, reason="Lộ khóa", stdout=out)
    assert f"Key {result.kid} revoked" in out.getvalue()
    with pytest.raises(CommandError, match="lý do"):
        call_command("result_keys", revoke=result.kid, reason="", stdout=io.StringIO())
    out = io.StringIO()
    call_command("result_keys", issue_trust_list=True, stdout=out)
    assert "issued, next update" in out.getvalue()


# --- the periodic refresh ---------------------------------------------------------------------


def test_the_periodic_task_reissues_a_list_before_it_expires(keys):
    from huey.contrib.djhuey import HUEY

    from dichvucong.results.tasks import refresh_trust_list_task

    old = services.issue_trust_list("test", now=timezone.now() - timedelta(hours=25))
    assert old.next_update > timezone.now()  # still valid for 23 hours, but half-way is past
    new_sequence = refresh_trust_list_task.call_local()
    assert new_sequence == old.sequence + 1
    new = TrustListIssue.objects.get(sequence=new_sequence)
    assert new.next_update > old.next_update and new.reason == "scheduled"
    assert new.next_update - timezone.now() > timedelta(hours=47)
    # Not due again until half-way: nothing issued.
    assert refresh_trust_list_task.call_local() == 0
    assert services.refresh_trust_list(now=new.issued_at + timedelta(hours=23)) is None
    assert services.refresh_trust_list(now=new.issued_at + timedelta(hours=24)).sequence == \
        new_sequence + 1
    # The published endpoint follows the newest issue (the cache was dropped).
    assert sequence_of(services.signed_trust_list()) == new_sequence + 1
    # Scheduled every quarter of an hour.
    due = [t.name for t in HUEY.read_periodic(datetime(2026, 11, 24, 10, 15))]
    assert "results.refresh_trust_list" in due
    assert "results.refresh_trust_list" not in [
        t.name for t in HUEY.read_periodic(datetime(2026, 11, 24, 10, 16))]


def test_sequences_only_grow_and_old_issues_are_pruned(keys):
    sequences = [services.issue_trust_list("test").sequence for _ in range(3)]
    assert sequences == sorted(sequences) and len(set(sequences)) == 3
    for _ in range(services.KEEP_ISSUES):
        services.issue_trust_list("test")
    assert TrustListIssue.objects.count() == services.KEEP_ISSUES
    assert TrustListIssue.objects.first().sequence == sequences[-1] + services.KEEP_ISSUES


def test_production_without_a_trust_list_signer_is_said_at_start(settings, tmp_path):
    """The periodic refresh failed every quarter of an hour in production without a signer (the
    demo signer is made only outside production); the system check says it at start instead."""
    from dichvucong.results.checks import results_checks

    settings.MODE, settings.RESULTS_PKI_DIR = "production", str(tmp_path)
    settings.RESULTS_TRUST_LIST_KEY = settings.RESULTS_TRUST_LIST_CERT = ""
    assert [p.id for p in results_checks(None)] == ["dichvucong.results.W001"]
    (tmp_path / "signer.key").write_text("key")
    (tmp_path / "signer.pem").write_text("cert")
    settings.RESULTS_TRUST_LIST_KEY = str(tmp_path / "signer.key")
    settings.RESULTS_TRUST_LIST_CERT = str(tmp_path / "signer.pem")
    assert results_checks(None) == []
    settings.MODE = "demo"
    settings.RESULTS_TRUST_LIST_KEY = settings.RESULTS_TRUST_LIST_CERT = ""
    assert results_checks(None) == []
