"""The tamper-evident audit trail (issue #21 item 2; docs/architecture.md, «Audit trail»).

Every look at a citizen's personal data and every change (dossier events, the personal data
store's access history, administrators' changes, roles, exports) is appended here as an
``AuditEntry`` with actor, time, object and reason. The sources keep their own tables; their
``post_save`` receivers (each app's ``apps.py``) feed them into this one chain.

* **Append** (``record``, ``record_look``): an unsealed row, in the transaction of the change,
  so an entry exists exactly when the change does; no lock taken there, and nothing else done
  in the request (the seal's lock on the head would make every writing request wait in turn).
* **Seal** (``seal``): by the worker, never in a request: after each run of the pipeline's
  worker (``pipeline/worker.py:drain``, kicked by every dossier event) and every minute by the
  sweeper (``core.seal_audit_trail``), which also seals what a killed worker left. One lock
  of the head row per batch of up to ``SEAL_BATCH`` entries, in the order they were written:
  the next number, the previous entry's hash, and
  ``hash = SHA-256(canonical JSON of the entry with seq and prev_hash)``. Until then an entry
  is counted by ``verify`` as awaiting its seal, not as tampering.
* **Anchor** (``anchor``): the worker signs the chain head (seq, hash) with the platform's
  audit key (Ed25519) and appends it to a file outside the database (``AUDIT_ANCHOR_FILE``).
* **Verify** (``verify``, ``dichvucong verify-audit``): every hash recomputed and every link
  followed; a missing number (a deleted entry), a wrong hash (an edited one), a broken link (an
  inserted one) or an anchor whose entry is gone or different (a truncated or rewritten tail)
  is reported; and for an entry that keeps the digest of its source row (``SOURCE_FIELDS``:
  a dossier event, an access to the store, an administrator's change), that row deleted or
  edited since.
* **Erase** (``erasure``): a lawful deletion (an administrator deleting an account on a
  citizen's request, whose access history and log go with it) runs inside ``erasure``; each
  source row it removes is recorded in the chain (``source="erasure"``, by whom and why), and
  the verifier counts such rows as erased instead of reporting them. A deletion outside it, or
  one made in the database behind the platform's back, is still reported.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dichvucong.core.models import AuditEntry, AuditHead

GENESIS = "0" * 64
SEAL_BATCH = 1000
REASON_MAX = 500


def _jsonable(data: dict | None) -> dict:
    # Through JSON once, so what is hashed is what the database gives back (no tuples, dates).
    return json.loads(json.dumps(data or {}, default=str, ensure_ascii=False))


def record(*, source: str, action: str, object_type: str, object_id: object = "",
           actor_id: int | None = None, actor_role: str = "", subject_id: int | None = None,
           reason: str = "", data: dict | None = None, row=None) -> AuditEntry:
    """Append one entry (sealed later by the worker: ``seal``). ``row``: the source row it
    records (one of ``SOURCE_FIELDS``' models), whose digest the entry keeps for the
    verifier."""
    if row is not None:
        data = {**(data or {}), "row": row_digest(row)}
    entry = AuditEntry.objects.create(
        at=timezone.now(), actor_id=actor_id, actor_role=actor_role[:30], source=source[:20],
        action=action[:60], object_type=object_type[:60], object_id=str(object_id or "")[:64],
        subject_id=subject_id, reason=(reason or "")[:REASON_MAX], data=_jsonable(data))
    return entry


# The fields of each source row that must never change once written, digested into its entry
# (``data["row"]``) so that the verifier finds the row edited or deleted later. Fields changed
# lawfully afterwards are left out: an event's ``data`` (filled in by the exchange and the
# back office), the timestamps (the demo data backdates events), foreign keys set to null when
# what they name is deleted.
SOURCE_FIELDS: dict[str, tuple[str, ...]] = {
    "dossiers.dossierevent": ("dossier_id", "action", "from_state", "to_state", "actor_role",
                              "note"),
    "datastore.accessrecord": ("owner_id", "action", "data"),
    "admin.logentry": ("user_id", "content_type_id", "object_id", "action_flag",
                       "change_message"),
}


# The lawful erasure in progress (who erases, why), or None: see ``erasure``.
_erasing: ContextVar[tuple[int | None, str] | None] = ContextVar("audit_erasing", default=None)


@contextmanager
def erasure(actor_id: int | None, reason: str) -> Iterator[None]:
    """Deletions made inside are lawful erasures: each source row removed (``SOURCE_FIELDS``)
    is recorded in the chain by ``row_erased``, in the deletion's transaction."""
    token = _erasing.set((actor_id, reason))
    try:
        yield
    finally:
        _erasing.reset(token)


def row_erased(sender, instance, **kwargs) -> None:
    """A ``post_delete`` receiver of the source models: within ``erasure``, the row's removal
    goes into the chain; outside it, nothing (the verifier reports the missing row)."""
    erasing = _erasing.get()
    if erasing is None:
        return
    actor_id, reason = erasing
    label = instance._meta.label_lower
    record(source="erasure", action="erase.row", object_type=label, object_id=instance.pk,
           actor_id=actor_id, reason=reason, data={"erased": {"model": label, "pk": instance.pk}})


def _erased_rows() -> set[tuple[str, object]]:
    """The source rows whose removal a lawful erasure recorded (sealed entries only: an entry
    not yet sealed could be anyone's insert)."""
    return {(erased.get("model"), erased.get("pk"))
            for data in AuditEntry.objects.filter(source="erasure", seq__isnull=False)
            .values_list("data", flat=True)
            if isinstance(data, dict) and isinstance(erased := data.get("erased"), dict)}


def _digest(values: dict) -> str:
    text = json.dumps(_jsonable(values), sort_keys=True, ensure_ascii=False,
                      separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def row_digest(instance) -> dict:
    label = instance._meta.label_lower
    # Each value as the database gives it back (the admin's log sets ``object_id`` to an int
    # on the row it saves, which reads back as text): the verifier digests what it reads.
    meta = instance._meta
    return {"model": label, "pk": instance.pk, "digest": _digest(
        {name: meta.get_field(name).to_python(getattr(instance, name))
         for name in SOURCE_FIELDS[label]})}


def record_look(actor, subject_id: int, *, what: str, object_id: object = "", reason: str,
                actor_role: str = "", data: dict | None = None) -> AuditEntry:
    """Record that ``actor`` (a user) looked at personal data of the person ``subject_id``:
    ``what`` names the kind of data («profile», «dossier», «datastore» …), ``reason`` why (shown
    to the citizen on «Dữ liệu của tôi»). For every page that shows one person's data to
    someone else: the hotline console, the counter, the back office's dossier page."""
    return record(source="look", action=f"look.{what}", object_type=what, object_id=object_id,
                  actor_id=getattr(actor, "pk", actor), actor_role=actor_role,
                  subject_id=subject_id, reason=reason, data=data)


def entry_hash(entry: AuditEntry) -> str:
    body = {"seq": entry.seq, "prev": entry.prev_hash,
            "at": entry.at.astimezone(UTC).isoformat(timespec="microseconds"),
            "actor": entry.actor_id, "role": entry.actor_role, "source": entry.source,
            "action": entry.action, "object_type": entry.object_type,
            "object_id": entry.object_id, "subject": entry.subject_id, "reason": entry.reason,
            "data": entry.data}
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _head_for_update() -> AuditHead:
    head = AuditHead.objects.select_for_update().filter(pk=1).first()
    if head is None:  # the migration creates it; a flushed test database may not have it
        AuditHead.objects.get_or_create(pk=1, defaults={"seq": 0, "hash": GENESIS})
        head = AuditHead.objects.select_for_update().get(pk=1)
    return head


def _unsealed() -> list[AuditEntry]:
    """The next entries to seal, in the order they were written (read under the head's lock:
    a sealer reading them before another's seal commits would chain them from a stale head)."""
    return list(AuditEntry.objects.filter(seq__isnull=True).order_by("id")[:SEAL_BATCH])


def seal() -> int:
    """Chain the unsealed entries in the order they were written; returns how many."""
    sealed = 0
    while True:
        with transaction.atomic():
            head = _head_for_update()
            pending = _unsealed()
            for entry in pending:
                entry.seq, entry.prev_hash = head.seq + 1, head.hash
                entry.hash = entry_hash(entry)
                head.seq, head.hash = entry.seq, entry.hash
            if pending:
                AuditEntry.objects.bulk_update(pending, ["seq", "prev_hash", "hash"])
                head.save(update_fields=["seq", "hash"])
        sealed += len(pending)
        if len(pending) < SEAL_BATCH:
            return sealed


# --- anchors --------------------------------------------------------------------------------

def anchor_file() -> Path:
    return Path(settings.AUDIT_ANCHOR_FILE)


def _key_file() -> Path:
    return Path(settings.AUDIT_ANCHOR_KEY_FILE)


def _private_key() -> Ed25519PrivateKey:
    """The platform's audit key; made on first use (kept beside the anchors, readable by the
    platform's user only). Its public half is written next to it for verifiers."""
    path = _key_file()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(pem)
        public_key_file().write_bytes(key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return serialization.load_pem_private_key(path.read_bytes(), password=None)


def public_key_file() -> Path:
    return _key_file().with_suffix(".pub")


def _anchor_text(seq: int, digest: str, at: str) -> bytes:
    return f"dichvucong-audit-anchor:{seq}:{digest}:{at}".encode()


def anchor(now: datetime | None = None) -> dict | None:
    """Seal what is pending, then sign the head and append it to the anchor file (one JSON
    line); nothing when the head has not moved since the last anchor."""
    seal()
    head = AuditHead.objects.filter(pk=1).first()
    if head is None or head.seq == 0:
        return None
    anchors = read_anchors()
    if anchors and anchors[-1].get("seq") == head.seq:
        return None
    at = (now or timezone.now()).astimezone(UTC).isoformat(timespec="seconds")
    signature = _private_key().sign(_anchor_text(head.seq, head.hash, at))
    line = {"seq": head.seq, "hash": head.hash, "at": at,
            "signature": base64.b64encode(signature).decode()}
    path = anchor_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(line) + "\n")
    return line


def read_anchors() -> list[dict]:
    path = anchor_file()
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


# --- verification ---------------------------------------------------------------------------

@dataclass
class Report:
    entries: int = 0
    unsealed: int = 0
    anchors: int = 0
    erased: int = 0  # source rows removed by a recorded lawful erasure
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _anchor_signed(line: dict, public_key: Ed25519PublicKey | None) -> bool:
    if public_key is None:
        return False
    try:
        public_key.verify(base64.b64decode(line["signature"]),
                          _anchor_text(line["seq"], line["hash"], line["at"]))
    except (InvalidSignature, KeyError, ValueError):
        return False
    return True


class _SourceRows:
    """The source rows the entries name, checked in batches against the digests kept."""

    BATCH = 1000

    def __init__(self, report: Report):
        self.report = report
        self.pending: dict[str, list[tuple[int, object, str]]] = {}
        self.erased = _erased_rows()

    def add(self, entry: AuditEntry) -> None:
        row = entry.data.get("row") if isinstance(entry.data, dict) else None
        if not row or row.get("model") not in SOURCE_FIELDS:
            return
        batch = self.pending.setdefault(row["model"], [])
        batch.append((entry.seq, row.get("pk"), row.get("digest")))
        if len(batch) >= self.BATCH:
            self.check(row["model"])

    def check(self, label: str) -> None:
        batch, self.pending[label] = self.pending.get(label, []), []
        fields = SOURCE_FIELDS[label]
        model = apps.get_model(label)
        rows = {values.pop("pk"): values for values in model.objects.filter(
            pk__in=[pk for _seq, pk, _digest in batch]).values("pk", *fields)}
        for seq, pk, digest in batch:
            if pk not in rows and (label, pk) in self.erased:
                self.report.erased += 1
            elif pk not in rows:
                self.report.problems.append(
                    f"entry {seq}: its source row {label} {pk} was deleted")
            elif _digest(rows[pk]) != digest:
                self.report.problems.append(f"entry {seq}: its source row {label} {pk} was "
                                            "edited after the entry was written")

    def finish(self) -> None:
        for label in list(self.pending):
            self.check(label)


def verify() -> Report:
    """Follow the whole chain and check it against the anchors and the source rows (see the
    module's docstring)."""
    report = Report(unsealed=AuditEntry.objects.filter(seq__isnull=True).count())
    sources = _SourceRows(report)
    anchors = read_anchors()
    anchored = {line.get("seq") for line in anchors}
    expected, previous = 1, GENESIS
    hashes: dict[int, str] = {}  # of the anchored entries only
    for entry in AuditEntry.objects.filter(seq__isnull=False).order_by("seq").iterator(2000):
        report.entries += 1
        if entry.seq > expected:
            report.problems.append(f"entries {expected}–{entry.seq - 1} are missing (deleted)")
        elif entry.seq < expected:  # cannot happen with the unique number; a changed order
            report.problems.append(f"entry {entry.seq} is out of order")
        if entry.prev_hash != previous:
            report.problems.append(f"entry {entry.seq} does not link to the one before it "
                                   "(an entry was inserted or removed before it)")
        if entry_hash(entry) != entry.hash:
            report.problems.append(f"entry {entry.seq} was altered (its hash does not match)")
        if entry.seq in anchored:
            hashes[entry.seq] = entry.hash
        sources.add(entry)
        expected, previous = entry.seq + 1, entry.hash
    sources.finish()
    last = expected - 1
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and head.seq > last:
        report.problems.append(f"the chain ends at {last} but its head says {head.seq} "
                               "(entries removed from the end)")
    public = public_key_file()
    public_key = (serialization.load_pem_public_key(public.read_bytes())
                  if public.exists() else None)
    for line in anchors:
        report.anchors += 1
        if not _anchor_signed(line, public_key):
            report.problems.append(f"anchor at {line.get('seq')} has no valid signature")
            continue
        seq = line["seq"]
        if seq > last:
            report.problems.append(f"the chain ends at {last} but was anchored at {seq} on "
                                   f"{line['at']} (entries removed from the end)")
        elif hashes.get(seq) != line["hash"]:
            report.problems.append(f"entry {seq} differs from its anchor of {line['at']} "
                                   "(the chain was rewritten)")
    return report
