"""claude-tray: see your Claude subscription limits in the system tray.

Kept import-free on purpose: `claude-tray statusline` runs very often and must load only the
standard library.
"""

__version__ = "0.1.0"
