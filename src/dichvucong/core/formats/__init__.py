"""Date and time formats for both languages (``FORMAT_MODULE_PATH``): dd/mm/yyyy and a 24-hour
clock, as Vietnamese administrative papers write them, also on the English pages. Templates
mostly name their format (``date:"H:i d/m/Y"``); these cover a date shown without one."""
