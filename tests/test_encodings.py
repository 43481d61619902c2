"""Every text file our code opens names its encoding: Windows' default is cp1252, not UTF-8 (issue 19).

Two checks: this static one reads every Python file of the repository (including the code that only runs in a
subprocess), and ``.ci/run`` runs the whole suite once under ``python -X warn_default_encoding -W
error::EncodingWarning`` (pyproject.toml turns such a warning from our modules into a failure)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("app", "tests", "bench", "scripts")
SUBPROCESS = {"run", "Popen", "check_output", "check_call", "call"}


def _keywords(call: ast.Call) -> dict[str, ast.expr]:
    return {k.arg: k.value for k in call.keywords if k.arg}


def _text_mode(call: ast.Call, position: int) -> bool:
    """The call's mode (positional ``position`` or ``mode=``) is a text mode (a literal without "b"; the default)."""
    mode = _keywords(call).get("mode") or (call.args[position] if len(call.args) > position else None)
    if mode is None:
        return True
    return isinstance(mode, ast.Constant) and isinstance(mode.value, str) and "b" not in mode.value


def missing_encodings(source: str) -> list[int]:
    """Lines of calls that would open a text file with the platform's default encoding."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        keywords = _keywords(node)
        if "encoding" in keywords:
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        text_io = (
            (name in ("read_text", "write_text") and isinstance(func, ast.Attribute))
            or (name == "open" and isinstance(func, ast.Name) and _text_mode(node, 1))
            or (
                name == "open"
                and isinstance(func, ast.Attribute)
                and node.args
                and _text_mode(node, 0)
                and isinstance(node.args[0], ast.Constant)
            )  # Path.open("w"): a literal mode
            or (
                name in SUBPROCESS
                and any(
                    isinstance(keywords.get(k), ast.Constant) and keywords[k].value is True
                    for k in ("text", "universal_newlines")
                )
            )
            or name == "TextIOWrapper"
        )
        if text_io:
            lines.append(node.lineno)
    return lines


def test_the_checker_finds_what_windows_would_read_wrongly():
    source = (
        "from pathlib import Path\nimport subprocess\n"
        "Path('a').read_text()\n"
        "open('a')\n"
        "open('a', 'w')\n"
        "subprocess.run(['x'], text=True)\n"
        "Path('a').open('w')\n"
        "Path('a').read_text(encoding='utf-8')\n"
        "open('a', 'rb')\n"
        "Path('a').write_bytes(b'')\n"
        "subprocess.run(['x'], capture_output=True)\n"
        "open('a', encoding='utf-8')\n"
    )
    assert missing_encodings(source) == [3, 4, 5, 6, 7]


def test_every_text_file_we_open_names_its_encoding():
    files = [path for folder in FOLDERS for path in sorted((ROOT / folder).rglob("*.py"))] + [
        ROOT / "build.spec"
    ]
    found = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in files
        for line in missing_encodings(path.read_text(encoding="utf-8"))
    ]
    assert len(files) > 150
    assert found == []
