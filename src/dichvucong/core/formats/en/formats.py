# As Vietnamese: dd/mm/yyyy, a 24-hour clock (dichvucong/core/formats/__init__.py).
from dichvucong.core.formats.vi.formats import *  # noqa: F403
