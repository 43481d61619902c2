"""Entry point of the windowed program frozen by PyInstaller (``build.spec``): ``guichet-enfance``.

On Windows it has no console (``console=False``), so it starts through ``main_windowed()``, the same commands as
``python -m app`` for a program without standard streams. The command line is ``guichet-enfance-cli``
(``scripts/pyinstaller_cli.py``). On Linux ``guichet-enfance-cli`` is a symbolic link to this program: started
under that name it is ``main()`` itself, as the console program is (a scheduled ``nightly`` whose output is closed
runs, instead of being told to use ``guichet-enfance-cli.exe``).
"""

import sys
from pathlib import Path

from app.__main__ import main, main_windowed

if __name__ == "__main__":
    sys.exit(main() if Path(sys.argv[0]).name.endswith("-cli") else main_windowed())
