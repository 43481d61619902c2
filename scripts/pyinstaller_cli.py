"""Entry point of the console program frozen by PyInstaller (``build.spec``): ``guichet-enfance-cli``, the same
``main()`` as ``python -m app`` (the self-test, ``migrate``, ``nightly``, ``--version``…), beside the windowed
``guichet-enfance`` in the same folder."""

import sys

from app.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
