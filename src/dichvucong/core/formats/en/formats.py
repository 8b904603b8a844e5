# The same as Vietnamese: dd/mm/yyyy and a 24-hour clock (see dichvucong/core/formats/__init__.py).
from dichvucong.core.formats.vi.formats import *  # noqa: F403
