"""Reading uploaded papers (#23 item 2): field accuracy, seconds per page, and how well the
cross-check with the form catches planted mismatches, and the photo check bad photos, on
generated papers (``reading/specimens.py``): photographed cards (turned up to 8°, blurred up to
1.6 px, grained, JPEG quality 40–85), among them badly taken ones (blurred 2.5–4 px, or a fifth
to two fifths of the card out of the frame), and flat birth notices (giấy chứng sinh).

    ./run bench bench/bench_ocr.py            # 40 cards, 6 birth notices
    OCR_CARDS=200 OCR_NOTICES=20 ./run bench bench/bench_ocr.py

Half the papers are filed with a form that differs in one field (another person's number,
name or birth date; on a notice the mother's name or the child's birth date): a mismatch found
there is a true positive; one found on an honest paper is a false alarm. Every fifth card is
blurred and every fifth cut: the photo check should ask for those to be taken again
(``papers.problems``) and for no other. Field accuracy is counted on the cards taken well.
Seconds per page are wall time of the whole read (straightening and the photo check
included) and the CPU time of the Tesseract processes; the machine's load is printed beside.
"""

from __future__ import annotations

import dataclasses
import os
import random
import resource
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from dichvucong.reading import engine, papers, specimens  # noqa: E402

FIELDS = ("id_number", "full_name", "date_of_birth")
NOTICE_FIELDS = ("mother_name", "child_date_of_birth")


@dataclasses.dataclass
class Tally:
    true_positive: int = 0
    false_positive: int = 0
    false_negative: int = 0

    def add(self, planted: set[str], flagged: set[str]) -> None:
        self.true_positive += len(planted & flagged)
        self.false_negative += len(planted - flagged)
        self.false_positive += len(flagged - planted)

    def line(self, what: str) -> str:
        precision = self.true_positive / ((self.true_positive + self.false_positive) or 1)
        recall = self.true_positive / ((self.true_positive + self.false_negative) or 1)
        return (f"  {what}: planted {self.true_positive + self.false_negative}, caught "
                f"{self.true_positive}, false alarms {self.false_positive}: precision "
                f"{precision:.1%}, recall {recall:.1%}")


def planted(rng: random.Random, truth: dict[str, str]) -> tuple[dict[str, str], str]:
    field = rng.choice(FIELDS)
    other = specimens.random_specimen(rng).fields
    while other[field] == truth[field] or (
            field == "full_name" and papers.same_name(other[field], truth[field])):
        other = specimens.random_specimen(rng).fields
    return {**truth, field: other[field]}, field


def badly_taken(rng: random.Random, specimen: specimens.Specimen, index: int
                ) -> tuple[specimens.Specimen, str]:
    if index % 5 == 3:
        return dataclasses.replace(specimen, blur=rng.uniform(2.5, 4.0)), papers.BLURRED
    if index % 5 == 4:
        return dataclasses.replace(specimen, cut=rng.uniform(0.2, 0.4)), papers.CUT
    return specimen, ""


def timed(content: bytes, kind: str, wall: list[float]) -> engine.Reading:
    started = time.perf_counter()
    reading = engine.read(content, kind)
    wall.append(time.perf_counter() - started)
    return reading


def main() -> None:
    if not engine.available():
        sys.exit("Tesseract is missing: apt-get install tesseract-ocr tesseract-ocr-vie")
    count = int(os.environ.get("OCR_CARDS", "40"))
    notices = int(os.environ.get("OCR_NOTICES", "6"))
    rng = random.Random(2026)
    right = dict.fromkeys(FIELDS + NOTICE_FIELDS, 0)
    good = 0
    wall: list[float] = []
    mismatches, photos, well_taken = Tally(), Tally(), Tally()
    named: dict[str, int] = {}
    taken_badly: dict[str, int] = {}
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load = os.getloadavg()[0]
    for index in range(count):
        specimen, bad = badly_taken(rng, specimens.random_specimen(rng), index)
        reading = timed(specimens.photographed_card(specimen), "jpeg", wall)
        paper = papers.find(reading.text)
        problems = papers.problems(reading.confidence, reading.words, reading.blurred,
                                   reading.cut)
        # A retake asked for is right for a badly taken photo, whatever problem it names.
        photos.add({"retake"} if bad else set(), {"retake"} if problems else set())
        if bad:
            named[bad] = named.get(bad, 0) + (bad in problems)
            taken_badly[bad] = taken_badly.get(bad, 0) + 1
        if not bad:
            good += 1
            for key in FIELDS:
                right[key] += (bool(paper.fields.get(key))
                               and not papers.compare(paper, {key: specimen.fields[key]}))
        form, changed = (planted(rng, specimen.fields) if index % 2 else
                         (specimen.fields, ""))
        flagged = {m.field for m in papers.compare(paper, form)}
        mismatches.add({changed} - {""}, flagged)
        if not bad:
            well_taken.add({changed} - {""}, flagged)
    for index in range(notices):
        mother = specimens.random_specimen(rng)
        born = date(2026, 1, 1) + timedelta(days=rng.randrange(330))
        truth = {"mother_name": mother.full_name, "child_date_of_birth": born.isoformat()}
        reading = timed(specimens.birth_notice(mother.full_name, mother.id_number, born), "png",
                        wall)
        paper = papers.find(reading.text)
        for key in NOTICE_FIELDS:
            right[key] += bool(paper.fields.get(key)) and not papers.compare(
                paper, {key: truth[key]})
        form, changed = dict(truth), ""
        if index % 2:
            changed = rng.choice(NOTICE_FIELDS)
            form[changed] = (specimens.random_specimen(rng).full_name if changed == "mother_name"
                             else (born + timedelta(days=1)).isoformat())
        mismatches.add({changed} - {""}, {m.field for m in papers.compare(paper, form)})
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    pages = len(wall)
    wall.sort()
    print(f"cards: {count} ({good} taken well), birth notices: {notices}   "
          f"load average before: {load:.2f}, after: {os.getloadavg()[0]:.2f} (2 cores)")
    for key in FIELDS:
        print(f"  card {key:20} read right: {right[key]}/{good} = {right[key] / good:.1%}")
    for key in NOTICE_FIELDS:
        print(f"  notice {key:18} read right: {right[key]}/{notices} = "
              f"{right[key] / (notices or 1):.1%}")
    print(f"  seconds per page (wall): median {wall[pages // 2]:.2f}, "
          f"p90 {wall[int(pages * 0.9)]:.2f}; Tesseract CPU per page {cpu / pages:.2f} s")
    print(mismatches.line("cross-check with the form, all papers"))
    print(well_taken.line("cross-check, cards taken well only"))
    print(photos.line("retake asked for blurred/cut photos"))
    for bad, total in taken_badly.items():
        print(f"    {bad}: {total} photos, the problem named on {named.get(bad, 0)}")


if __name__ == "__main__":
    main()
