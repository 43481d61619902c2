"""Writes resources/icon.ico (the Windows programs', shortcuts' and installer's icon) from resources/icon.png.

Usage: .venv/bin/python scripts/make_icon.py   (Pillow comes with reportlab; run it again when icon.png changes)
"""

from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
SIZES = (16, 24, 32, 48, 64, 128, 256)


def main() -> None:
    source = ROOT / "resources" / "icon.png"
    target = ROOT / "resources" / "icon.ico"
    with Image.open(source) as image:
        image.convert("RGBA").save(target, format="ICO", sizes=[(size, size) for size in SIZES])
    with Image.open(target) as written:
        print(f"{target.relative_to(ROOT)} : {sorted(written.info['sizes'])}")


if __name__ == "__main__":
    main()
