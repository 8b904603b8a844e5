# The same as Vietnamese: dd/mm/yyyy and a 24-hour clock (see dichvucong/formats/__init__.py).
from dichvucong.formats.vi.formats import *  # noqa: F403
