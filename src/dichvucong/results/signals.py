"""Reactions of the results app to the dossier core's events: a dossier filed on any channel
(the page, the API, an agent, the counter) gets its declaration as a PDF file, rendered in the
background after the filing commits (``declaration.py``; no citizen waits on it)."""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from dichvucong.dossiers.lifecycle import Action
from dichvucong.dossiers.models import DossierEvent

logger = logging.getLogger(__name__)

FILING = {Action.submit.value, Action.enter_walk_in.value}


@receiver(post_save, sender=DossierEvent, dispatch_uid="results-file-declaration")
def file_declaration(sender, instance: DossierEvent, created: bool, **kwargs) -> None:
    if not created or instance.action not in FILING:
        return
    # The filing has the dossier and its version at hand: no query for a procedure without form.
    if not instance.dossier.procedure_version.parsed().form:
        return
    from .tasks import file_declaration_task

    dossier_id = instance.dossier_id

    def send() -> None:
        # The filing is committed: an unreachable queue must not turn it into an error page.
        # The sweeper (``declaration.attach_missing``) attaches it later.
        try:
            file_declaration_task(dossier_id)
        except Exception as exc:
            logger.warning("results: the declaration of dossier %s was not queued (%s)",
                           dossier_id, type(exc).__name__)

    transaction.on_commit(send)
