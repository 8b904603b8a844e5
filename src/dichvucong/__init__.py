"""dichvucong: an open-source online public service platform for Vietnamese local government."""

__version__ = "0.1.0"
