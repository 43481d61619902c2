"""Entry point of the windowed program frozen by PyInstaller (``build.spec``): ``guichet-enfance``.

On Windows it has no console (``console=False``), so it starts through ``main_windowed()``, the same commands as
``python -m app`` for a program without standard streams. The command line is ``guichet-enfance-cli``
(``scripts/pyinstaller_cli.py``).
"""

import sys

from app.__main__ import main_windowed

if __name__ == "__main__":
    sys.exit(main_windowed())
