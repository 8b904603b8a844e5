"""The signer's block of a result: the authority and position lines above the signature, and
how a line too wide for its column is broken. Plain Python, no Django.

The layout is Decree 30/2020/NĐ-CP on clerical work (Nghị định 30/2020/NĐ-CP về công tác văn thư),
Phụ lục I, Phần I, Mục II, khoản 7 («Chức vụ, họ tên và chữ ký của người có thẩm quyền»):

* signing for a collective body (a People's Committee works as one): «TM.» before the body's
  name — «TM. ỦY BAN NHÂN DÂN» — then the signer's position, «CHỦ TỊCH»;
* a deputy signing for the head: «KT.» before the head's position — «KT. CHỦ TỊCH» — then the
  deputy's own position, «PHÓ CHỦ TỊCH»; a department works under its head (chế độ thủ
  trưởng), so there is no «TM.»: «GIÁM ĐỐC», or «KT. GIÁM ĐỐC» / «PHÓ GIÁM ĐỐC»;
* authority and position in capitals, bold; the position is the official one, without the
  body's name (the heading already names it); below the signature, the full name in bold.

Checked against the decree's text as published by thuvienphapluat.vn and luatvietnam.vn (the
«TM.» / «KT.» rules and the capitals); the exact type sizes (13–14 pt) are scaled down to the
result's smaller type.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

# Agency kinds (agencies.Agency.Kind) that decide as a collective, and the collective's name.
COLLECTIVE_BODIES = {
    "peoples_committee": "Ủy ban nhân dân",
    "commune_committee": "Ủy ban nhân dân",
}
DEPUTY = "phó "
# Words that start the locality in an agency's name: a line is best broken before them
# («TM. ỦY BAN NHÂN DÂN» / «PHƯỜNG HẢI CHÂU»).
LOCALITY_WORDS = ("PHƯỜNG", "XÃ", "ĐẶC KHU", "THỊ TRẤN", "THỊ XÃ", "QUẬN", "HUYỆN",
                  "THÀNH PHỐ", "TỈNH")


@dataclass(frozen=True)
class SignatureBlock:
    lines: tuple[str, ...]  # authority and position, in capitals, one item a line
    name: str  # the signer's full name, as written (printed in bold below the signature)

    @property
    def title(self) -> str:
        """The lines as stored on a result (``Result.signer_title``): one per line."""
        return "\n".join(self.lines)


def upper(text: str) -> str:
    return " ".join(text.split()).upper()


def signature_block(*, agency_kind: str, agency_name: str, position: str,
                    full_name: str) -> SignatureBlock:
    """The block for a result of the agency (``agency_kind``, ``agency_name``) signed by a person
    holding ``position`` there ("" when none is recorded: then only the authority line, the
    body's name, with no invented position)."""
    position = " ".join(position.split())
    collective = COLLECTIVE_BODIES.get(agency_kind)
    lines: list[str] = []
    if collective:
        lines.append(f"TM. {upper(collective)}")
    if position:
        if position.lower().startswith(DEPUTY):
            head = position[len(DEPUTY):]
            lines += [f"KT. {upper(head)}", upper(position)]
        else:
            lines.append(upper(position))
    elif not collective:
        lines.append(upper(agency_name))
    return SignatureBlock(lines=tuple(lines), name=" ".join(full_name.split()))


def break_line(text: str, width: Callable[[str], float], limit: float) -> list[str]:
    """``text`` on as few lines of at most ``limit`` as it takes, broken between words: before
    a locality word when that works, never right after «TM.» / «KT.», otherwise where the two
    parts are closest in width. A single word wider than ``limit`` stays whole."""
    words = text.split()
    if len(words) <= 1 or width(text) <= limit:
        return [" ".join(words)]
    best: tuple[tuple[bool, float], int] | None = None
    for cut in range(1, len(words)):
        head, rest = " ".join(words[:cut]), " ".join(words[cut:])
        if width(head) > limit and cut > 1:
            break
        if cut == 1 and words[0].endswith("."):  # «TM.» alone on a line
            continue
        score = (not rest.startswith(LOCALITY_WORDS), max(width(head), width(rest)))
        if best is None or score < best[0]:
            best = (score, cut)
    if best is None:
        return [" ".join(words)]
    cut = best[1]
    return [" ".join(words[:cut]), *break_line(" ".join(words[cut:]), width, limit)]
