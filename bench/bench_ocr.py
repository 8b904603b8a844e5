"""Reading uploaded papers (#23 item 2): field accuracy, seconds per page, and how well the
cross-check with the form catches planted mismatches, on generated photographed cards
(``reading/specimens.py``: turned up to 8°, blurred, grained, JPEG quality 40–85).

    ./run bench bench/bench_ocr.py            # 40 cards
    OCR_CARDS=200 ./run bench bench/bench_ocr.py

Half the cards are filed with a form that differs in one field (another person's number, name
or birth date): a mismatch found there is a true positive; one found on an honest card is a
false alarm. Seconds per page are wall time of the whole read (straightening included) and the
CPU time of the Tesseract processes; the machine's load is printed beside them.
"""

from __future__ import annotations

import os
import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from dichvucong.reading import engine, papers, specimens  # noqa: E402

FIELDS = ("id_number", "full_name", "date_of_birth")


def planted(rng: random.Random, truth: dict[str, str]) -> tuple[dict[str, str], str]:
    field = rng.choice(FIELDS)
    other = specimens.random_specimen(rng).fields
    while other[field] == truth[field] or (
            field == "full_name" and papers.same_name(other[field], truth[field])):
        other = specimens.random_specimen(rng).fields
    return {**truth, field: other[field]}, field


def main() -> None:
    if not engine.available():
        sys.exit("Tesseract is missing: apt-get install tesseract-ocr tesseract-ocr-vie")
    count = int(os.environ.get("OCR_CARDS", "40"))
    rng = random.Random(2026)
    right = dict.fromkeys(FIELDS, 0)
    wall, retakes = [], 0
    true_positive = false_positive = false_negative = 0
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load = os.getloadavg()[0]
    for index in range(count):
        specimen = specimens.random_specimen(rng)
        photo = specimens.photographed_card(specimen)
        started = time.perf_counter()
        reading = engine.read(photo, "jpeg")
        wall.append(time.perf_counter() - started)
        paper = papers.find(reading.text)
        retakes += papers.needs_retake(reading.confidence, reading.words)
        for key in FIELDS:
            found = paper.fields.get(key, "")
            right[key] += bool(found) and not papers.compare(paper, {key: specimen.fields[key]})
        form, changed = (planted(rng, specimen.fields) if index % 2 else
                         (specimen.fields, ""))
        flagged = {m.field for m in papers.compare(paper, form)}
        if changed:
            true_positive += changed in flagged
            false_negative += changed not in flagged
            false_positive += len(flagged - {changed})
        else:
            false_positive += len(flagged)
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    wall.sort()
    print(f"cards: {count}   load average before: {load:.2f}   "
          f"after: {os.getloadavg()[0]:.2f} (2 cores)")
    for key in FIELDS:
        print(f"  {key:14} read right: {right[key]}/{count} = {right[key] / count:.1%}")
    print(f"  asked to retake: {retakes}/{count}")
    print(f"  seconds per page (wall): median {wall[len(wall) // 2]:.2f}, "
          f"p90 {wall[int(len(wall) * 0.9)]:.2f}; Tesseract CPU per page {cpu / count:.2f} s")
    precision = true_positive / ((true_positive + false_positive) or 1)
    recall = true_positive / ((true_positive + false_negative) or 1)
    print(f"  planted mismatches: {true_positive + false_negative}, caught {true_positive}, "
          f"false alarms {false_positive}: precision {precision:.1%}, recall {recall:.1%}")


if __name__ == "__main__":
    main()
