"""A smaller ICU data library for the packaged program (``build.spec``, issue #18: the folder ≤ 150 MB).

Qt's libicudata.so.NN (32 MB) is one symbol, ``icudtNN_dat``: ICU's common data package, every locale of CLDR,
the legacy character set converters, the transliterators, the Thai/CJK word dictionaries. Qt asks ICU for
collation, case mapping, time zone names, in French (``QLocale.setDefault``), falling back on English and root.
This keeps the package's ToC format and items, minus:

- the locale resources (``xx.res``, ``xx_YY.res``…) of every language but French and English (root kept: the
  fallback of all; ``pool.res``, ``res_index.res`` and the supplemental data kept);
- the converters (``*.cnv``: Qt 6 decodes UTF-8/Latin-1 itself, the program reads its files with Python);
- the break dictionaries (``*.dict``) and the transliterators (``translit/``), which Qt does not use;

then assembles the package again into a library of the same soname exporting the same symbol (gcc, readelf).
A missing locale is no error for ICU: it falls back to the parent locale, then root.

Usage: python scripts/icu_data.py LIBICUDATA OUTDIR   (prints the sizes)
"""

from __future__ import annotations

import re
import struct
import subprocess
import sys
from pathlib import Path

KEPT_LANGUAGES = frozenset({"fr", "en"})
_LOCALE = re.compile(r"^([a-z]{2,3})(_[A-Z][a-z]{3})?(_(?:[A-Z]{2}|[0-9]{3}))?(_[A-Z0-9]+)?$")
_SYMBOL = re.compile(
    r":\s+([0-9a-f]+)\s+(0x[0-9a-f]+|\d+)\s+OBJECT\s+GLOBAL\s+DEFAULT\s+\d+\s+(icudt\d+_dat)\b"
)
_RODATA = re.compile(r"\]\s+\.rodata\s+PROGBITS\s+([0-9a-f]+)\s+([0-9a-f]+)")


def kept(item: str) -> bool:
    """Whether an item of the package (``icudt73l/coll/fr.res``) stays."""
    path = item.split("/")[1:]  # without the package's own name
    stem, _, ext = path[-1].rpartition(".")
    if path[0] == "translit" or ext in ("cnv", "dict"):
        return False
    locale = _LOCALE.match(stem)
    return not (ext == "res" and locale and locale.group(1) not in KEPT_LANGUAGES)


def _readelf(library: Path) -> str:
    return subprocess.run(
        ["readelf", "-sW", "-SW", str(library)], capture_output=True, encoding="utf-8", check=True
    ).stdout


def package_of(library: Path) -> tuple[str, bytes]:
    """The data symbol's name and bytes (the common data package) of a libicudata."""
    elf = _readelf(library)
    symbol, rodata = _SYMBOL.search(elf), _RODATA.search(elf)
    if not symbol or not rodata:
        raise ValueError(f"{library}: no ICU data symbol (icudtNN_dat) in .rodata")
    address, size = int(symbol.group(1), 16), int(symbol.group(2), 0)
    offset = address - int(rodata.group(1), 16) + int(rodata.group(2), 16)
    with library.open("rb") as f:
        f.seek(offset)
        return symbol.group(3), f.read(size)


def items_of(package: bytes) -> list[tuple[str, bytes]]:
    """The (name, bytes) items of a little-endian ICU common data package ("CmnD"), in ToC order."""
    header = struct.unpack_from("<H", package, 0)[0]
    if package[2:4] != b"\xda\x27" or package[12:16] != b"CmnD" or package[8] != 0:
        raise ValueError("not a little-endian ICU common data package")
    count = struct.unpack_from("<I", package, header)[0]
    toc = [struct.unpack_from("<II", package, header + 4 + 8 * i) for i in range(count)]
    ends = [data for _, data in toc[1:]] + [len(package) - header]
    return [
        (
            package[header + name : package.index(b"\0", header + name)].decode("ascii"),
            package[header + data : header + end],
        )
        for (name, data), end in zip(toc, ends, strict=True)
    ]


def build_package(header: bytes, items: list[tuple[str, bytes]]) -> bytes:
    """A common data package: the header, the ToC (names sorted as ICU searches them), items 16-byte aligned."""
    names = b""
    name_offsets = []
    table = 4 + 8 * len(items)
    for name, _ in items:
        name_offsets.append(table + len(names))
        names += name.encode("ascii") + b"\0"
    position = table + len(names)
    position += -(len(header) + position) % 16
    body = b""
    data_offsets = []
    for _, blob in items:
        data_offsets.append(position + len(body))
        body += blob + b"\0" * (-(len(header) + position + len(body) + len(blob)) % 16)
    toc = struct.pack("<I", len(items)) + b"".join(
        struct.pack("<II", n, d) for n, d in zip(name_offsets, data_offsets, strict=True)
    )
    return header + toc + names + b"\0" * (position - table - len(names)) + body


def trimmed_library(library: Path, outdir: Path) -> Path:
    """Writes OUTDIR/<same name>: the library with only the items ``kept`` keeps."""
    symbol, package = package_of(library)
    header = package[: struct.unpack_from("<H", package, 0)[0]]
    items = [(name, blob) for name, blob in items_of(package) if kept(name)]
    outdir.mkdir(parents=True, exist_ok=True)
    data = outdir / f"{symbol}.dat"
    data.write_bytes(build_package(header, items))
    source = outdir / f"{symbol}.S"
    source.write_text(
        f"    .section .rodata\n    .globl {symbol}\n    .type {symbol}, @object\n    .balign 16\n{symbol}:\n"
        f'    .incbin "{data.resolve()}"\n    .size {symbol}, . - {symbol}\n'
        '    .section .note.GNU-stack,"",@progbits\n',
        encoding="utf-8",
    )
    target = outdir / library.name
    subprocess.run(
        ["gcc", "-shared", "-nostdlib", "-s", f"-Wl,-soname,{library.name}", "-o", str(target), str(source)],
        check=True,
    )
    return target


if __name__ == "__main__":
    source_lib, out = Path(sys.argv[1]), Path(sys.argv[2])
    result = trimmed_library(source_lib, out)
    print(f"{source_lib.stat().st_size / 1e6:.1f} MB -> {result.stat().st_size / 1e6:.1f} MB: {result}")
