"""What follows a change of a dossier: the one ordered list.

A change of a dossier is saved as a row — a ``DossierEvent`` (every change of state, an apology,
a fee asked or paid, a handover), an ``Attachment`` (a file stored after its event: the result
file, the rendered declaration), a signed ``Result``, a ``Rating``. The only receivers of those
saves are in ``receivers.py``; what they start is listed here in the order it runs.

In the request's transaction (the citizen and the officer see it at once; it commits or rolls
back with the change):
1. the change's own row (the caller: ``dossiers/actions.py:perform`` and the others);
2. ONE pipeline entry (``models.PipelineEntry``) naming the derived steps it needs, and the
   event's entry in the audit trail (``dossiers/auditing.py``), unsealed: the worker seals it
   into the hash chain after its run, so no request takes the chain's lock (``core/audit.py``);
3. the fee (``payments/services.py:follow_event``): kept on filing, asked for at the moment the
   procedure names (a ``fee_requested`` event, itself step 1 again);
4. on filing (``submit``, ``enter_walk_in``) of a procedure with a form, the declaration owed
   (``owed_declaration``): the worker's run kicked after the commit renders the filed form as
   the template's PDF first (``file_declaration``, ``results/declaration.py:attach``; on failure
   huey's ``results.file_declaration`` with retries of its own; its file is then a change of its
   own).
After the commit the worker is kicked (``tasks.run_pipeline``), once per change and with the
declaration owed, so a filing writes one row to the task queue, not two; the periodic run
every minute picks up whatever a kick missed, ``results.file_missing_declarations`` a
declaration lost with its kick.

Derived later by the worker (``worker.py``), from the entry, in this order, each step in a
transaction with the entry's update (a batch's fast steps in one, ``worker.run_together``; after
a failure each step alone), so each runs exactly once and a failing step is retried without
holding up the others (``DERIVED``):
- ``facts``: the monitoring facts of the dossier (``monitor/facts.py:refresh_dossier``; equal to
  ``facts.rebuild``), for the worker's whole batch of entries at once (``refresh_dossiers``);
- ``store``: the files into the applicant's personal data store
  (``datastore/services.py:collect_dossier``, ``collect_result``; on ``issue_result``, the
  other agencies' results of a combined procedure, ``collect_handovers``);
- ``notify``: the applicant's (or assignee's) notifications (``notify/dossier_events.py:
  notify_for_event`` → the notification outbox; ``notify/worker.py`` delivers);
- ``sync``: the national portal's records (``nationalsync/outbox.py:record_event``,
  ``record_file``; ``nationalsync/worker.py`` sends);
- ``webhooks``: one delivery per subscription (``webhooks/outbox.py:record_event``;
  ``webhooks/worker.py`` POSTs);
- ``read``: the uploaded papers read (OCR) and the reading kept on the file's row
  (``dossiers/paperreading.py:read_dossier``): a photo or PDF stored on a dossier or a draft,
  and on filing the files a filing stored with no entry of their own (the API's, in one
  statement). Last, as the slowest (about a second a page).
The steps read the dossier as it is when they run: a worker that lags describes a later state,
never an earlier one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet

from dichvucong.datastore import services as store
from dichvucong.datastore.models import Kind as StoreKind
from dichvucong.datastore.models import StoredDocument
from dichvucong.datastore.services import RESULT_REQUIREMENT
from dichvucong.dossiers import paperreading
from dichvucong.dossiers.lifecycle import Action, State
from dichvucong.dossiers.models import Dossier, DossierEvent
from dichvucong.monitor import facts
from dichvucong.nationalsync import outbox as sync
from dichvucong.notify import dossier_events as notify
from dichvucong.pipeline.models import EntryKind, PipelineEntry
from dichvucong.results import declaration
from dichvucong.results.models import Result
from dichvucong.results.tasks import file_declaration_task
from dichvucong.webhooks import outbox as webhooks

logger = logging.getLogger(__name__)
COLLECTING = {Action.submit.value, Action.enter_walk_in.value, Action.provide_supplement.value}
FILING = {Action.submit.value, Action.enter_walk_in.value}


@dataclass(frozen=True)
class Step:
    name: str
    wants: Callable[[str, object], bool]  # (kind, the saved row) → is this step owed? No query.
    run: Callable[[PipelineEntry], object]
    # The step for a batch of entries at once, with the same result as ``run`` on each in
    # turn (the worker's drain); None: one entry at a time.
    run_batch: Callable[[list[PipelineEntry]], object] | None = None
    # A slow step (a paper's reading: seconds of Tesseract), whose writes are each one
    # statement harmless twice (a reading kept only where none is):
    # - it runs outside the transaction that marks it done: on SQLite a transaction holds the
    #   one write lock, and seconds of reading in one made every submission wait (a worker
    #   dying between the two runs it again, to no effect);
    # - the worker runs it after every fast step due, a few entries at a time: in line, each
    #   entry's reading held up the next entries' facts and notifications for minutes.
    slow: bool = False


def _events() -> QuerySet[DossierEvent]:
    # With what the steps read of it (the store: the version and procedure; the notifications:
    # the applicant, procedure and agency; the sync: the actor, field and agency), so that no
    # step reads the dossier again (``preload``: once for a batch).
    return DossierEvent.objects.select_related(
        "actor", "dossier__procedure_version", "dossier__procedure__field", "dossier__agency",
        "dossier__applicant")


def _event(entry: PipelineEntry) -> DossierEvent | None:
    if PRELOADED in entry.__dict__:
        return entry.__dict__[PRELOADED]
    return _events().filter(pk=entry.event_id).first()


PRELOADED = "_pipeline_event"
PRELOADED_FILE = "_pipeline_attachment"


def preload(entries: list[PipelineEntry]) -> None:
    """The events of a batch of entries with their dossiers, in one query: each entry's steps
    (store, notify, sync, webhooks) read it from there instead of once each. Loaded after the
    batch was claimed, so each dossier is as late as its event or later."""
    wanted = [entry.event_id for entry in entries if entry.event_id is not None]
    found = {event.pk: event for event in _events().filter(pk__in=wanted)} if wanted else {}
    for entry in entries:
        if entry.event_id is not None:
            entry.__dict__[PRELOADED] = found.get(entry.event_id)
    # The files the sync step rewrites the dossier's record with (a filing's declaration), with
    # what the record reads of their dossier: one query, not two per file.
    files = [entry.object_id for entry in entries
             if entry.kind == EntryKind.ATTACHMENT and " sync " in entry.pending]
    if files:
        from dichvucong.dossiers.models import Attachment

        stored = {attachment.pk: attachment for attachment in Attachment.objects.select_related(
            "dossier__procedure__field", "dossier__agency").filter(pk__in=files)}
        for entry in entries:
            if entry.kind == EntryKind.ATTACHMENT and entry.object_id in stored:
                entry.__dict__[PRELOADED_FILE] = stored[entry.object_id]


def _collect(entry: PipelineEntry) -> None:
    _results_stored(_stored(entry))


def _stored(entry: PipelineEntry) -> list[StoredDocument]:
    if entry.kind == EntryKind.RESULT:
        result = Result.objects.select_related("dossier").filter(pk=entry.object_id).first()
        stored = store.collect_result(result) if result is not None else None
        return [stored] if stored is not None else []
    event = _event(entry) if entry.kind == EntryKind.EVENT else None
    dossier = event.dossier if event is not None else (
        Dossier.objects.select_related("procedure_version", "procedure")
        .filter(pk=entry.dossier_id).first())
    if dossier is None:
        return []
    if event is not None and event.action == Action.issue_result.value:
        # The other agencies' results (liên thông) join the store with the dossier's own.
        return store.collect_handovers(dossier)
    return store.collect_dossier(dossier)


def _results_stored(documents: list[StoredDocument]) -> None:
    """A result put into its holder's store counts for its dossier's «shared» figure (766
    indicator 4.4, ``monitor/facts.py``): the dossier's fact, decided by the ``facts`` step
    before this one, is decided again, in this step's transaction."""
    dossiers = {d.source_dossier_id for d in documents
                if d.kind == StoreKind.RESULT and d.source_dossier_id is not None}
    if dossiers:
        facts.refresh_dossiers(dossiers)


def _notify(entry: PipelineEntry) -> None:
    if (event := _event(entry)) is not None:
        notify.notify_for_event(event)


def _sync(entry: PipelineEntry) -> None:
    if entry.kind == EntryKind.ATTACHMENT:
        from dichvucong.dossiers.models import Attachment

        attachment = (entry.__dict__.get(PRELOADED_FILE)
                      or Attachment.objects.filter(pk=entry.object_id).first())
        if attachment is not None:
            sync.record_file(attachment)
    elif (event := _event(entry)) is not None:
        sync.record_event(event)


def _webhooks(entry: PipelineEntry) -> None:
    if (event := _event(entry)) is not None:
        webhooks.record_event(event)


def _read(entry: PipelineEntry) -> None:
    paperreading.read_dossier(
        entry.dossier_id, entry.object_id if entry.kind == EntryKind.ATTACHMENT else None)


def _reads(kind: str, row) -> bool:
    if kind == EntryKind.ATTACHMENT:
        return paperreading.wanted(row) and row.requirement != RESULT_REQUIREMENT
    return kind == EntryKind.EVENT and row.action in FILING and settings.READ_UPLOADS


def _not_draft(row) -> bool:
    return row.to_state != State.draft.value


def _filed(attachment) -> bool:
    """A file stored before the dossier is filed and numbered is listed by the filing's own
    record: nothing to add. Known when the dossier is at hand, else the step finds out."""
    dossier = attachment._state.fields_cache.get("dossier")
    return dossier is None or (dossier.state != State.draft.value and dossier.code is not None)


DERIVED: tuple[Step, ...] = (
    # A filed dossier's file changes its fact too: a component, a file from the store (766
    # 4.2–4.4; the declaration's PDF comes after the filing's event). A draft's uploads are
    # counted by the filing's own event.
    Step("facts", lambda kind, row: kind in (EntryKind.EVENT, EntryKind.RATING)
         or (kind == EntryKind.ATTACHMENT and _filed(row)),
         lambda entry: facts.refresh_dossier(entry.dossier_id),
         # A dossier's fact is recomputed from the dossier as it is now: once for all the
         # batch's entries of it, and the batch's dossiers in one set of statements.
         lambda entries: facts.refresh_dossiers(e.dossier_id for e in entries
                                                if e.dossier_id is not None)),
    Step("store", lambda kind, row: (
        (kind == EntryKind.EVENT and (row.action in COLLECTING
                                      or row.action == Action.issue_result.value))
        or (kind == EntryKind.ATTACHMENT and row.requirement == RESULT_REQUIREMENT)
        or (kind == EntryKind.RESULT and row.is_ready)), _collect),
    Step("notify", lambda kind, row: kind == EntryKind.EVENT, _notify),
    Step("sync", lambda kind, row: (kind == EntryKind.EVENT and _not_draft(row))
         or (kind == EntryKind.ATTACHMENT and _filed(row)), _sync),
    Step("webhooks", lambda kind, row: kind == EntryKind.EVENT and _not_draft(row), _webhooks),
    Step("read", _reads, _read, slow=True),
)
BY_NAME = {step.name: step for step in DERIVED}
SLOW = tuple(step.name for step in DERIVED if step.slow)


def record(kind: str, row, dossier_id: int | None) -> PipelineEntry | None:
    """Step 2: the entry, in the current transaction."""
    owed = [step.name for step in DERIVED if step.wants(kind, row)]
    if not owed:
        return None
    entry = PipelineEntry.objects.create(
        kind=kind, dossier_id=dossier_id, event=row if kind == EntryKind.EVENT else None,
        object_id=None if kind == EntryKind.EVENT else row.pk,
        pending=f" {' '.join(owed)} ")
    return entry


def owed_declaration(event: DossierEvent) -> int | None:
    """Step 4: the dossier whose declaration the worker's run after this commit renders (the
    same queue write as the kick: ``tasks.kick``), or None. The filing has the dossier and its
    version at hand, so no query for a procedure without a form."""
    if event.action not in FILING or not declaration.has_form(event.dossier):
        return None
    return event.dossier_id


def file_declaration(dossier_id: int) -> None:
    """In the worker's run: render and attach the filed declaration. If that fails it goes to
    huey's ``results.file_declaration`` with its retries (a queue write in the worker, only on
    failure); a job lost there too is the sweeper's (``declaration.attach_missing``)."""
    try:
        declaration.attach(dossier_id)
    except Exception as exc:
        logger.warning("pipeline: the declaration of dossier %s failed (%s); queued with "
                       "retries", dossier_id, type(exc).__name__)
        try:
            file_declaration_task(dossier_id)
        except Exception as again:  # the run's drain goes on; the sweeper has it
            logger.warning("pipeline: the declaration of dossier %s was not queued (%s)",
                           dossier_id, type(again).__name__)
