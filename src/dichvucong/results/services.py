"""The results app's operations, as other apps and the app's own pages call them. Each lives in
the module of its concern; this module only gathers them under one name:

- ``issuing.py``: numbering, who may issue and manage, :func:`request_issue` (dossier, official)
  → a queued :class:`Result`, :func:`retry` (failed or
  stuck), :func:`is_stuck`, :func:`revoke` / :func:`replace` (result, leader of
  the issuing agency, reason), :func:`record_download`; the only writer of results, each write
  recorded as a ``ResultEvent``.
- ``stamping.py``: :func:`sign_result`, the background task's work (``tasks.sign_result_task``):
  render, sign, stamp the QR, store, and move the dossier to «result ready», under the
  result's lease (``signing_jobs.py``); :func:`resume_signing`, the sweeper of stuck results.
- ``keys.py``: the agencies' signing keys (:func:`register_key`, :func:`revoke_key`, the demo
  keys).
- ``trust_list.py``: :func:`trust_list` → the published issuer keys; :func:`signed_trust_list`
  → the current signed issue (cached; re-issued when a key or a result's status changes and, by
  the periodic task, before its ``next_update``).
- ``verification.py``: :func:`verify_text` / :func:`verify_pdf` → an :class:`Outcome` with the
  online status, each recorded as a ``Verification``.
- ``queries.py``: :func:`results_of_holder` (user) → a citizen's results, newest first;
  :func:`results_of_dossier`, :func:`agency_results`, :func:`pdf_bytes`.
"""

from .errors import ResultError
from .issuing import (
    DEFAULT_TITLE,
    ISSUING_ROLES,
    MANAGING_ROLES,
    can_issue,
    can_manage,
    can_retry,
    format_number,
    is_stuck,
    issues_digitally,
    next_sequence,
    record_download,
    replace,
    request_issue,
    result_definitions,
    retry,
    revoke,
    signer_block,
    signing_in_progress,
)
from .keys import ensure_demo_keys, register_key, revoke_key
from .queries import (
    agency_results,
    dossiers_with_result_available,
    pdf_bytes,
    results_of_dossier,
    results_of_holder,
)
from .signing import run_async
from .stamping import VERIFY_PATH, resume_signing, sign_payload, sign_result, verify_url
from .trust_list import (
    KEEP_ISSUES,
    ONLINE_CACHE_KEY,
    PUBLISHED_CACHE_KEY,
    current_trust_list_issue,
    current_trust_list_payload,
    issue_trust_list,
    online_trust_list,
    refresh_trust_list,
    signed_trust_list,
    trust_list,
    trust_list_anchors,
    trust_list_changed,
    trust_roots_pem,
)
from .verification import Outcome, first_revision, validate_signature, verify_pdf, verify_text

__all__ = [
    "DEFAULT_TITLE", "ISSUING_ROLES", "KEEP_ISSUES", "MANAGING_ROLES", "ONLINE_CACHE_KEY",
    "PUBLISHED_CACHE_KEY", "VERIFY_PATH", "Outcome", "ResultError", "agency_results",
    "can_issue", "can_manage", "can_retry", "current_trust_list_issue",
    "current_trust_list_payload", "dossiers_with_result_available", "ensure_demo_keys",
    "first_revision", "format_number", "is_stuck", "issue_trust_list", "issues_digitally",
    "next_sequence",
    "online_trust_list", "pdf_bytes", "record_download", "refresh_trust_list", "register_key",
    "replace", "request_issue", "resume_signing", "result_definitions", "results_of_dossier",
    "results_of_holder", "retry", "revoke", "revoke_key", "run_async", "sign_payload",
    "sign_result", "signed_trust_list", "signer_block", "signing_in_progress", "trust_list",
    "trust_list_anchors", "trust_list_changed", "trust_roots_pem", "validate_signature",
    "verify_pdf", "verify_text", "verify_url",
]
