"""The feedback settings.

The answer's legal time: Nghị định 20/2008/NĐ-CP on receiving and handling feedback and
petitions on administrative regulations, as amended by Nghị định 48/2013/NĐ-CP and
Nghị định 92/2017/NĐ-CP, has the agency answer within 10 working days of receiving it
(docs/architecture.md «Domain rules and their sources»: the article's wording was not verified
against the official text here; the figure follows the provinces' regulations that apply it).
``DICHVUCONG_FEEDBACK_ANSWER_DAYS`` changes it without a release when the rule changes.
"""

from __future__ import annotations

from django.conf import settings

LEGAL_BASIS = ("Nghị định 20/2008/NĐ-CP, sửa đổi bởi Nghị định 48/2013/NĐ-CP và Nghị định "
               "92/2017/NĐ-CP")


def answer_working_days() -> int:
    return int(getattr(settings, "FEEDBACK_ANSWER_WORKING_DAYS", 10))
