"""The Windows files (issue #19), checked on Linux where neither PowerShell, Inno Setup nor a Windows runner exists:
the PowerShell scripts (brackets, paths, commands, Windows PowerShell 5.1's pitfalls), the Inno Setup script
(settings, the programs and folder that build.spec makes, the data left alone), the GitHub Actions workflow and the
icon. Fast: no Qt, no database."""

from __future__ import annotations

import argparse
import re
import tomllib
from pathlib import Path

import pytest
import yaml
from PIL import Image

from app.__main__ import build_parser

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "scripts"
PS1_FILES = sorted(SCRIPTS.glob("*.ps1"))
ISS = ROOT / "installer" / "guichet.iss"
WORKFLOW = ROOT / ".github" / "workflows" / "windows.yml"
SPEC = ROOT / "build.spec"
BOM = b"\xef\xbb\xbf"


def read(path: Path) -> str:
    return path.read_bytes().decode("utf-8-sig")


# --- PowerShell: a small tokenizer --------------------------------------------------------------------------------
# PowerShell takes the typographic quotes for quotes too: in a French sentence they would end the string.
PS_SINGLE_QUOTES = "'\u2018\u2019\u201a\u201b"
PS_DOUBLE_QUOTES = '"\u201c\u201d\u201e'


class PowerShellSyntaxError(ValueError):
    pass


def _line(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def ps_code(text: str) -> str:
    """The code of a PowerShell script with its comments and the text of its strings blanked (same length, same
    lines); the code of the ``$( … )`` subexpressions inside double-quoted strings is kept. Raises
    PowerShellSyntaxError on a string, a here-string or a block comment left open."""
    out = list(text)

    def blank(start: int, end: int) -> None:
        for k in range(start, end):
            if out[k] != "\n":
                out[k] = " "

    def code(i: int, closer: str | None) -> int:
        """Scans code from i; with closer ")" (a subexpression), stops at its unmatched ")" and returns its index."""
        depth = 0
        while i < len(text):
            c = text[i]
            if text.startswith("<#", i):
                end = text.find("#>", i + 2)
                if end < 0:
                    raise PowerShellSyntaxError(f"line {_line(text, i)}: block comment <# never closed")
                blank(i, end + 2)
                i = end + 2
            elif c == "#" and (i == 0 or text[i - 1] in " \t\r\n;(){}|,="):
                end = text.find("\n", i)
                end = len(text) if end < 0 else end
                blank(i, end)
                i = end
            elif text.startswith(("@'", '@"'), i) and text[i + 2 : i + 3] in ("\n", "\r"):
                quote = text[i + 1]
                match = re.compile(rf"^{re.escape(quote)}@", re.MULTILINE).search(text, i + 3)
                if not match:
                    raise PowerShellSyntaxError(f"line {_line(text, i)}: here-string @{quote} never closed")
                blank(i + 2, match.start())
                i = match.end()
            elif c in PS_SINGLE_QUOTES:
                i = single_quoted(i)
            elif c in PS_DOUBLE_QUOTES:
                i = double_quoted(i)
            elif c == "`":  # escape: the next character is literal
                blank(i, i + 2)
                i += 2
            else:
                if closer and c == "(":
                    depth += 1
                elif closer and c == ")":
                    if depth == 0:
                        return i
                    depth -= 1
                i += 1
        if closer:
            raise PowerShellSyntaxError("a $( subexpression in a string is never closed")
        return i

    def single_quoted(start: int) -> int:
        i = start + 1
        while i < len(text):
            if text[i] in PS_SINGLE_QUOTES:
                if i + 1 < len(text) and text[i + 1] in PS_SINGLE_QUOTES:  # '' is a quote
                    i += 2
                    continue
                blank(start + 1, i)
                return i + 1
            i += 1
        raise PowerShellSyntaxError(f"line {_line(text, start)}: string ' never closed")

    def double_quoted(start: int) -> int:
        i = start + 1
        literal_from = i
        while i < len(text):
            c = text[i]
            if c == "`":
                i += 2
            elif c in PS_DOUBLE_QUOTES:
                if i + 1 < len(text) and text[i + 1] in PS_DOUBLE_QUOTES:  # "" is a quote
                    i += 2
                    continue
                blank(literal_from, i)
                return i + 1
            elif text.startswith("$(", i):
                blank(literal_from, i + 1)  # the "$" goes, "(" stays with its code
                end = code(i + 2, ")")
                i = literal_from = end + 1
            else:
                i += 1
        raise PowerShellSyntaxError(f'line {_line(text, start)}: string " never closed')

    code(0, None)
    return "".join(out)


def unbalanced(code: str) -> list[str]:
    """Brackets that do not match, in words (empty: all match)."""
    pairs = {")": "(", "}": "{", "]": "["}
    stack: list[tuple[str, int]] = []
    problems = []
    for index, c in enumerate(code):
        if c in "({[":
            stack.append((c, index))
        elif c in pairs:
            if not stack or stack[-1][0] != pairs[c]:
                problems.append(f"line {_line(code, index)}: {c!r} without its {pairs[c]!r}")
                continue
            stack.pop()
    problems += [f"line {_line(code, index)}: {c!r} never closed" for c, index in stack]
    return problems


@pytest.mark.parametrize(
    ("snippet", "balanced"),
    [
        ("if ($a) { Write-Host 'x (y' }", True),
        ("Write-Host \"total : $($list.Count) (sur $($all -join ', '))\"", True),
        ("# a comment (\n$x = 1", True),
        ("<# block {\n #> $y = @(1)", True),
        ("$s = @'\n ( { [\n'@\n$z = 2", True),
        ("Write-Host 'it''s (fine'", True),
        ('Write-Host "a `" (b"', True),
        ("if ($a) { Write-Host 'x' ", False),
        ("foreach ($x in $y)) { }", False),
        ('Write-Host "$(Get-Date"', False),
        (
            "Write-Host 'l’a (bien)'",
            False,
        ),  # the typographic quote ends the string: ')' and "'" are left over
    ],
)
def test_the_tokenizer_skips_strings_and_comments_and_sees_brackets(snippet, balanced):
    try:
        ok = not unbalanced(ps_code(snippet))
    except PowerShellSyntaxError:
        ok = False
    assert ok == balanced


@pytest.mark.parametrize("path", PS1_FILES, ids=lambda p: p.name)
def test_powershell_brackets_are_balanced(path):
    assert unbalanced(ps_code(read(path))) == []


def test_the_four_powershell_scripts_exist():
    assert {p.name for p in PS1_FILES} >= {"setup.ps1", "launch.ps1", "test.ps1", "package.ps1"}


@pytest.mark.parametrize("path", PS1_FILES, ids=lambda p: p.name)
def test_powershell_scripts_stop_on_errors_from_the_repository_root(path):
    code = ps_code(read(path))
    assert re.search(r"^\$ErrorActionPreference = 'Stop'$", read(path), re.MULTILINE)
    assert "Set-Location (Split-Path -Parent $PSScriptRoot)" in code


@pytest.mark.parametrize("path", PS1_FILES, ids=lambda p: p.name)
def test_powershell_scripts_suit_windows_powershell_5_1(path):
    raw = path.read_bytes()
    # Windows PowerShell 5.1 reads a script without a byte order mark in the ANSI code page: "é" would be garbled.
    assert raw.startswith(BOM) or raw.isascii()
    text = read(path)
    assert not any(q in text for q in "\u2018\u2019\u201a\u201b\u201c\u201d\u201e"), "typographic quotes"
    code = ps_code(text)
    for operator in ("&&", "||", "??"):  # PowerShell 7 only
        assert operator not in code, operator


@pytest.mark.parametrize("path", PS1_FILES, ids=lambda p: p.name)
def test_every_native_command_is_followed_by_an_exit_code_check(path):
    lines = ps_code(read(path)).splitlines()
    calls = [n for n, line in enumerate(lines) if re.match(r"\s*(\$\w+\s*=\s*)?& ", line)]
    assert calls, "no native command at all?"
    for n in calls:
        following = "\n".join(lines[n + 1 : n + 6])
        assert re.search(r"\$LASTEXITCODE|Assert-Success", following), (
            f"{path.name}:{n + 1}: {lines[n].strip()}"
        )


def _named_paths(text: str) -> set[str]:
    return set(re.findall(r"[\w.\\/-]*\w\.(?:ps1|spec|iss|toml|sh|py|ico|png)\b", text))


@pytest.mark.parametrize("path", PS1_FILES, ids=lambda p: p.name)
def test_the_files_a_powershell_script_names_exist(path):
    missing = []
    for name in _named_paths(read(path)):
        relative = name.replace("\\", "/")
        if not ((ROOT / relative).exists() or (path.parent / relative).exists()):
            missing.append(name)
    assert missing == []


def test_the_scripts_call_each_other_and_name_the_build_files():
    texts = {p.name: read(p) for p in PS1_FILES}
    for name in ("launch.ps1", "test.ps1", "package.ps1"):
        assert "'setup.ps1'" in texts[name], name
    assert "-Dev" in texts["test.ps1"].split("setup.ps1", 1)[1].splitlines()[0]
    assert {"build.spec", "installer\\guichet.iss", "pyproject.toml"} <= _named_paths(texts["package.ps1"])
    assert re.search(r"Select-String -Path 'pyproject.toml'", texts["package.ps1"])


def _app_options_and_commands() -> tuple[set[str], set[str]]:
    parser = build_parser()
    commands = {
        name
        for action in parser._actions
        if isinstance(action, argparse._SubParsersAction)
        for name in action.choices
    }
    return set(parser._option_string_actions), commands


def _app_invocations(text: str) -> list[str]:
    """The first argument given to the program: after `-m app`, or after a variable holding one of the built
    programs (`$cli = Join-Path $program 'guichet-enfance-cli.exe'` … `& $cli --selftest`, `Start-Process`)."""
    firsts = re.findall(r"-m app\s+([\w-]+)", text)
    programs = re.findall(r"\$(\w+) = Join-Path \$\w+ '(?:guichet-enfance(?:-cli)?\.exe)'", text)
    for variable in programs:
        firsts += re.findall(rf"& \${variable}\s+([\w-]+)", text)
        firsts += re.findall(rf"-FilePath \${variable} -ArgumentList '([\w-]+)", text)
    return firsts


def test_the_program_s_commands_named_by_the_scripts_exist():
    options, commands = _app_options_and_commands()
    assert {"gui", "migrate", "nightly"} <= commands and "--selftest" in options  # the parser is read right
    named = [first for path in PS1_FILES for first in _app_invocations(read(path))]
    assert (
        len(named) >= 3
    )  # package.ps1: --selftest and --version of the console program, --selftest of the other
    unknown = [first for first in named if first not in (options if first.startswith("-") else commands)]
    assert unknown == []


def test_the_version_is_read_from_pyproject_as_package_ps1_reads_it():
    pattern = re.search(r"-Pattern '([^']+)'", read(SCRIPTS / "package.ps1"))
    assert pattern
    found = re.search(pattern.group(1), read(ROOT / "pyproject.toml"), re.MULTILINE)
    project = tomllib.loads(read(ROOT / "pyproject.toml"))["project"]
    assert found and found.group(1) == project["version"]


def test_package_ps1_looks_for_inno_setup_and_says_how_to_install_it():
    text = read(SCRIPTS / "package.ps1")
    for place in (r"Inno Setup 6\ISCC.exe", "Programs\\Inno Setup 6\\ISCC.exe", "Get-Command iscc"):
        assert place in text
    assert "winget install JRSoftware.InnoSetup" in text and "https://jrsoftware.org/isdl.php" in text
    assert '"/DAppVersion=$version"' in text


def _ps_list(text: str, variable: str) -> list[str]:
    """The strings of a one-line `$Variable = @('a', 'b')`."""
    match = re.search(rf"^\${variable} = @\(([^)]*)\)$", text, re.MULTILINE)
    assert match, variable
    return re.findall(r"'([^']*)'", match.group(1))


def _ps_string(text: str, variable: str) -> str:
    """The value of a one-line `$Variable = '...'`."""
    match = re.search(rf"^\${variable} = '([^']*)'$", text, re.MULTILINE)
    assert match, variable
    return match.group(1)


def supported_pythons() -> set[str]:
    """The minor versions pyproject.toml's requires-python allows and the installed PySide6 (of the pin's newest
    series) supports."""
    from importlib.metadata import metadata, version

    from packaging.requirements import Requirement
    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

    project = tomllib.loads(read(ROOT / "pyproject.toml"))["project"]
    [pin] = [Requirement(d) for d in project["dependencies"] if d.startswith("PySide6-Essentials")]
    installed = Version(version("PySide6-Essentials"))
    assert installed in pin.specifier
    newest_allowed = next(s for s in pin.specifier if s.operator == "<")  # "<6.12": the installed is its 6.11
    assert Version(newest_allowed.version).release[:2] == (installed.major, installed.minor + 1)
    pyside = SpecifierSet(metadata("PySide6-Essentials")["Requires-Python"])
    ours = SpecifierSet(project["requires-python"])
    return {f"3.{minor}" for minor in range(6, 30) if f"3.{minor}" in ours and f"3.{minor}" in pyside}


def test_setup_ps1_tries_the_supported_pythons_and_names_them():
    text = read(SCRIPTS / "setup.ps1")
    tried = _ps_list(text, "SupportedPythons")
    assert set(tried) == supported_pythons() == {"3.11", "3.12", "3.13", "3.14"}
    assert tried[:2] == ["3.12", "3.11"]  # these first (CI and the developers run 3.11), then the newer ones
    ordered = sorted(tried, key=lambda v: tuple(map(int, v.split("."))))
    assert _ps_string(text, "SupportedWords") == ", ".join(ordered[:-1]) + " ou " + ordered[-1]
    code = ps_code(text)
    # the launcher asked for each supported version, never for "the newest 3.x"; python on PATH only if supported
    assert "foreach ($supported in $SupportedPythons) { $candidates += , @('py', \"-$supported\") }" in text
    assert not re.search(r"'-3'", text) and "@('python')" in text
    assert re.search(r"if \(Test-SupportedPython \$version\) \{ return , \$candidate \}", code)
    assert '$SupportedPythons -contains "$($Version.Major).$($Version.Minor)"' in text
    assert _ps_string(text, "Download") == "https://www.python.org/downloads/windows/"
    assert "Add python.exe to PATH" in text and "$SupportedWords" in text.split("function Find-Python", 1)[1]
    # a .venv of an unsupported version is named, not used
    assert re.search(r"-not \(Test-SupportedPython \$venvVersion\)", code)
    assert "'.[dev]'" in text and ".venv\\Scripts\\python.exe" in text
    assert "import app, sqlalchemy, PySide6" in text


def test_setup_ps1_asks_the_package_index_only_when_pyproject_changed():
    text = read(SCRIPTS / "setup.ps1")
    code = ps_code(text)
    assert re.search(r"^param\(\[switch\]\$Dev, \[switch\]\$Force\)$", text, re.MULTILINE)
    assert "$Stamp = Join-Path (Get-Location) '.venv\\guichet-install.txt'" in text
    assert "(Get-FileHash -Algorithm SHA256 -LiteralPath 'pyproject.toml').Hash" in text
    lines, code_lines = text.splitlines(), code.splitlines()  # the same lines; comments and strings blanked
    first_pip = min(n for n, line in enumerate(code_lines) if "-m pip install" in line)
    up_to_date = [n for n, line in enumerate(code_lines) if re.search(r"\bexit 0\b", line)]
    assert len(up_to_date) == 1 and up_to_date[0] < first_pip  # the only way out before pip: all installed
    check = lines[up_to_date[0]]
    assert "$sameProject -and $hasExtras -and (Test-Loads)" in check
    block = "\n".join(lines[up_to_date[0] - 5 : up_to_date[0]])
    assert "-not $Force -and (Test-Path $VenvPython) -and (Test-Path $Stamp)" in block
    assert "$installed[0] -eq $pyprojectHash" in block and "$installed[1] -eq 'dev'" in block
    # Test-Loads only imports (no network); the stamp is written last, after pip and the import check succeeded
    loads = text.split("function Test-Loads", 1)[1].split("\n}\n", 1)[0]
    assert "pip" not in loads and "import app, sqlalchemy, PySide6" in loads
    written = [n for n, line in enumerate(code_lines) if "Set-Content -LiteralPath $Stamp" in line]
    assert written == [len(lines) - 1]
    assert "@($pyprojectHash, $extras)" in lines[-1]
    # pip, the packages, the import checked: a failure exits before the stamp is written
    assert "\n".join(lines[first_pip:-1]).count("Assert-Success") == 3


def test_launch_ps1_starts_offline_and_falls_back_to_the_previous_install():
    text = read(SCRIPTS / "launch.ps1")
    code = ps_code(text)
    assert "pip" not in code  # setup.ps1 decides whether to install, not the launch
    setup = text.index("& (Join-Path $PSScriptRoot 'setup.ps1')")
    failed = text.index("if ($setupCode -ne 0) {")
    start = text.index("& $python -m app @args")
    assert setup < failed < start
    fallback = text[failed:start]
    assert "if (-not (Test-Path $python)) { exit $setupCode }" in fallback  # nothing installed before: stop
    assert "import app, sqlalchemy, PySide6" in fallback and "exit $setupCode" in fallback
    assert "installation précédente" in fallback and "Attention" in fallback
    assert "try {" in code[:failed] and "catch {" in code[:failed]  # setup.ps1 throwing counts as a failure


def _package_limit() -> int:
    match = re.search(r"^\$MaxMb = (\d+)\b", read(SCRIPTS / "package.ps1"), re.MULTILINE)
    assert match
    return int(match.group(1))


def test_package_ps1_fails_above_the_size_limit_with_the_size():
    text = read(SCRIPTS / "package.ps1")
    limit = _package_limit()
    assert re.search(rf"^MAX_MB={limit}$", read(SCRIPTS / "package.sh"), re.MULTILINE) and limit == 150
    assert "Write-Warning" not in text  # above the limit is an error now, not a warning
    stop = text.split("function Stop-Package", 1)[1].split("\n}\n", 1)[0]
    assert "exit 1" in stop and "::error::" in stop  # a failing exit code, and a line GitHub shows on the run
    block = text.split("if ($bytes -gt $MaxMb * 1e6) {", 1)[1].split("\n}\n", 1)[0]
    assert re.search(r'Stop-Package ".*\$sizeMb Mo.*\$MaxMb Mo', block)
    measured = text.index("$bytes = (Get-ChildItem -Path $program -Recurse -File")
    assert measured < text.index("if ($bytes -gt $MaxMb * 1e6)") < text.index("# --- 3. Inno Setup")
    assert 'Write-Host "Programme construit : dist\\guichet-enfance\\ ($sizeMb Mo, limite $MaxMb Mo)' in text


def test_the_workflow_builds_the_package_and_prints_its_size():
    steps = _workflow_steps()
    package = next(n for n, step in enumerate(steps) if "scripts/package.ps1" in step.get("run", ""))
    size = next(n for n, step in enumerate(steps) if step.get("name") == "Package size")
    assert package < size and steps[size]["if"] == "always()"  # printed when the limit failed the build too
    run = steps[size]["run"]
    assert "dist/guichet-enfance" in run and "Measure-Object -Property Length -Sum" in run
    assert "GITHUB_STEP_SUMMARY" in run and f"{_package_limit()} MB" in run
    assert "if" not in steps[package]  # the build's failure fails the job


def test_package_ps1_signs_when_a_certificate_is_configured():
    text = read(SCRIPTS / "package.ps1")
    code = ps_code(text)
    assert re.search(r"^param\(\[string\]\$SignFile\)$", text, re.MULTILINE)
    for name in (
        "GUICHET_SIGN_CERT",
        "GUICHET_SIGN_PASSWORD",
        "GUICHET_SIGN_THUMBPRINT",
        "GUICHET_SIGN_TIMESTAMP",
    ):
        assert f"$env:{name}" in code, name
    signing = text.split("function Invoke-Signing", 1)[1].split("\n}\n", 1)[0]
    assert "@('sign', '/fd', 'SHA256', '/tr', $timestamp, '/td', 'SHA256'" in signing
    assert "@('/f', $env:GUICHET_SIGN_CERT)" in signing and "@('/p', $env:GUICHET_SIGN_PASSWORD)" in signing
    assert "@('/sha1', $env:GUICHET_SIGN_THUMBPRINT)" in signing
    assert re.search(r"^\$DefaultTimestamp = 'https?://\S+'$", text, re.MULTILINE)
    assert "Windows Kits\\10\\bin" in text and "Get-Command signtool" in text
    # the -SignFile mode (Inno Setup's sign tool) returns before anything is built
    assert text.index("if ($SignFile) {") < text.index("& (Join-Path $PSScriptRoot 'setup.ps1')")
    # the programs signed before their self-test; nothing configured: one line in the log
    sign_programs = text.index("foreach ($exe in @($gui, $cli)) { Invoke-Signing $exe }")
    assert text.index("if (Test-Signing) {") < sign_programs < text.index("& $cli --selftest")
    assert "Signature : aucun certificat configuré" in text.split("foreach ($exe in @($gui, $cli))", 1)[1]
    # the installer and its uninstaller: the sign tool given to ISCC, which the .iss uses under /DSign
    tool = re.search(r"'/S(\w+)=\$q'", text)
    assert tool and "'/DSign'" in text and "'$q -SignFile $f'" in text and "@isccOptions" in code
    iss = read(ISS)
    assert re.search(
        rf"^#ifdef Sign\n(;.*\n)*SignTool={tool.group(1)}\nSignedUninstaller=yes\n#endif$", iss, re.M
    )
    # Inno Setup's $q and $f stay in single quotes: in double quotes PowerShell would put its own variables there
    for line in text.splitlines():
        for literal in re.findall(r"'[^']*'|\"[^\"]*\"", line):
            if "$q" in literal or "$f" in literal:
                assert literal.startswith("'"), line


def _readme_sections() -> list[tuple[str, str]]:
    text = read(ROOT / "README.md")
    parts = re.split(r"^(## .+)$", text, flags=re.MULTILINE)
    return list(zip(parts[1::2], parts[2::2], strict=True))


def test_the_readme_s_windows_section_follows_the_two_commands_and_matches_the_scripts():
    readme = read(ROOT / "README.md")
    assert readme.startswith("# Guichet Enfance\n")
    sections = _readme_sections()
    titles = [title for title, _ in sections]
    assert titles[:2] == ["## Two commands", "## Windows"] and titles.count("## Windows") == 1
    two_commands = sections[0][1]
    assert "bash scripts/launch.sh" in two_commands and "bash .ci/run" in two_commands
    windows = " ".join(sections[1][1].split())  # words, whatever the line breaks
    setup = read(SCRIPTS / "setup.ps1")
    for version in _ps_list(setup, "SupportedPythons"):
        assert f"py -{version}" in windows, version
    assert "Python **" + _ps_string(setup, "SupportedWords").replace(" ou ", " or ") + "**" in windows
    assert "Add python.exe to PATH" in windows and _ps_string(setup, "Download") in windows
    assert ".venv\\guichet-install.txt" in windows and "-Force" in windows
    for words in (
        "Windows a protégé votre ordinateur",
        "Informations complémentaires",
        "Exécuter quand même",
    ):
        assert f"« {words}" in windows, words
    package = read(SCRIPTS / "package.ps1")
    named = set(re.findall(r"GUICHET_SIGN\w*", windows))
    assert named == set(re.findall(r"GUICHET_SIGN\w*", package)) and len(named) == 5
    assert _ps_string(package, "DefaultTimestamp") in windows
    assert "Signature : aucun certificat configuré" in windows
    assert f"above {_package_limit()} MB" in windows
    for words in (
        "HTTPS_PROXY",
        "pip config set global.proxy",
        "LongPathsEnabled",
        "C:\\Guichet",
        "MAX_PATH",
    ):
        assert words in windows, words


# --- build.spec: the programs and the folder ---------------------------------------------------------------------
def spec_executables() -> dict[str, bool]:
    """build.spec's EXE names and whether each has a console."""
    found = {}
    for call in re.findall(r"^\s*\w+ = EXE\((.*?)^\s*\)", read(SPEC), re.MULTILINE | re.DOTALL):
        name = re.search(r'name="([^"]+)"', call)
        console = re.search(r"console=(True|False)", call)
        assert name and console, call
        found[name.group(1)] = console.group(1) == "True"
    return found


def spec_collect_name() -> str:
    match = re.search(r"^coll = COLLECT\(.*\bname=\"([^\"]+)\"", read(SPEC), re.MULTILINE)
    assert match
    return match.group(1)


def test_build_spec_makes_a_windowed_and_a_console_program_in_one_folder():
    assert spec_executables() == {"guichet-enfance": False, "guichet-enfance-cli": True}
    spec = read(SPEC)
    assert re.search(r"^coll = COLLECT\(\*programs, ", spec, re.MULTILINE)
    assert "programs = [exe]" in spec and "programs.append(exe_cli)" in spec
    assert "SEPARATE_CLI = not IS_LINUX" in spec  # on Windows, two executables; on Linux, a link to the one
    assert spec_collect_name() == "guichet-enfance"
    for entry, function in (("pyinstaller_entry.py", "main_windowed"), ("pyinstaller_cli.py", "main")):
        assert f'Analysis(["scripts/{entry}"]' in spec
        assert re.search(rf"^from app\.__main__ import .*\b{function}\b", read(SCRIPTS / entry), re.MULTILINE)
    icon = re.search(r'^ICON = "([^"]+)"', spec, re.MULTILINE)
    assert icon and icon.group(1).endswith(".ico") and (ROOT / icon.group(1)).is_file()


def test_build_spec_runs_the_linux_tools_only_on_linux():
    lines = read(SPEC).splitlines()
    guard = lines.index("if IS_LINUX:")
    for word in ("readelf", "trimmed_library(", "SYSTEM_LIBS = {"):
        uses = [n for n, line in enumerate(lines) if word in line and not line.lstrip().startswith("#")]
        assert uses, word
        assert all(n > guard and lines[n].startswith("    ") for n in uses), word
    assert "qwindows.dll" in read(SPEC) and "strip=IS_LINUX" in read(SPEC)


# --- Inno Setup ----------------------------------------------------------------------------------------------------
def _iss_fields(line: str) -> dict[str, str]:
    """`Name: "a; b"; Flags: x y` → {"Name": "a; b", "Flags": "x y"} (";" inside quotes, "" for a quote)."""
    parts: list[str] = []
    current, quoted, i = "", False, 0
    while i < len(line):
        c = line[i]
        if c == '"':
            if quoted and line[i + 1 : i + 2] == '"':
                current += '"'
                i += 2
                continue
            quoted = not quoted
        elif c == ";" and not quoted:
            parts.append(current)
            current = ""
        else:
            current += c
        i += 1
    assert not quoted, f"unclosed quote: {line}"
    parts.append(current)
    fields = {}
    for part in filter(str.strip, parts):
        key, _, value = part.partition(":")
        fields[key.strip()] = value.strip()
    return fields


def parse_iss(text: str) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The preprocessor's defines, and the script's sections: their lines with {#Define} replaced, comments and
    preprocessor lines out ([Code] is kept whole)."""
    defines = dict(re.findall(r'^\s*#define\s+(\w+)\s+"([^"]*)"', text, re.MULTILINE))
    sections: dict[str, list[str]] = {}
    current = None
    for raw in text.splitlines():
        line = raw.strip()
        header = re.fullmatch(r"\[(\w+)\]", line)
        if header and current != "Code":
            current = header.group(1)
            assert current not in sections, f"[{current}] twice"
            sections[current] = []
            continue
        if current == "Code":
            sections[current].append(raw)
            continue
        if not line or line.startswith((";", "#")):
            continue
        assert current, f"outside any section: {line}"
        sections[current].append(re.sub(r"\{#(\w+)\}", lambda m: defines[m.group(1)], line))
    return defines, sections


@pytest.fixture(scope="module")
def iss():
    defines, sections = parse_iss(read(ISS))
    setup = dict(line.split("=", 1) for line in sections["Setup"])
    entries = {
        name: [_iss_fields(line) for line in lines]
        for name, lines in sections.items()
        if name not in ("Setup", "Code", "CustomMessages")
    }
    return {"defines": defines, "sections": sections, "setup": setup, "entries": entries}


def test_the_iss_parser_reads_fields_and_sections():
    assert _iss_fields('Name: "a; b"; Flags: x y; Description: "say ""hi"""') == {
        "Name": "a; b",
        "Flags": "x y",
        "Description": 'say "hi"',
    }
    _defines, sections = parse_iss('#define X "v"\n[Setup]\n; note\nA={#X}\n[Code]\n[not a section]\n')
    assert sections == {"Setup": ["A=v"], "Code": ["[not a section]"]}


def test_the_installer_is_per_user_by_default_for_64_bit_windows_in_french(iss):
    assert {"Setup", "Languages", "Tasks", "Files", "Icons", "Run", "Code"} <= set(iss["sections"])
    setup = iss["setup"]
    assert setup["PrivilegesRequired"] == "lowest"
    assert "dialog" in setup["PrivilegesRequiredOverridesAllowed"].split()
    assert setup["DefaultDirName"] == r"{autopf}\Guichet Enfance" and setup["AppName"] == "Guichet Enfance"
    assert setup["ArchitecturesAllowed"] == setup["ArchitecturesInstallIn64BitMode"] == "x64compatible"
    assert setup["ShowLanguageDialog"] == "no" and setup["WizardStyle"] == "modern"
    assert re.fullmatch(r"\{\{[0-9A-F]{8}(-[0-9A-F]{4}){3}-[0-9A-F]{12}\}", setup["AppId"])
    assert re.fullmatch(r"\d+\.\d+\.\d+", iss["defines"]["AppVersion"])
    assert iss["entries"]["Languages"] == [
        {"Name": "french", "MessagesFile": r"compiler:Languages\French.isl"}
    ]
    assert (
        ISS.parent / setup["SetupIconFile"].replace("\\", "/")
    ).resolve() == ROOT / "resources" / "icon.ico"
    assert ISS.read_bytes().startswith(BOM)  # Inno Setup reads a script without one as ANSI


def test_the_installer_lands_where_package_ps1_and_the_workflow_look(iss):
    setup = iss["setup"]
    out_dir = (ISS.parent / setup["OutputDir"].replace("\\", "/")).resolve()
    assert out_dir == ROOT / "dist" / "installer"
    version = iss["defines"]["AppVersion"]
    assert setup["OutputBaseFilename"] == f"GuichetEnfance-{version}-setup"
    assert r"dist\installer\GuichetEnfance-$version-setup.exe" in read(SCRIPTS / "package.ps1")
    upload = [s for s in _workflow_steps() if str(s.get("uses", "")).startswith("actions/upload-artifact@")]
    assert [s["with"]["path"] for s in upload] == ["dist/installer/*.exe"]


def _app_exe(filename: str) -> str | None:
    match = re.fullmatch(r"\{app\}\\(.+)\.exe", filename)
    return match.group(1) if match else None


def test_the_installer_installs_build_spec_s_folder_and_starts_the_windowed_program(iss):
    entries, executables = iss["entries"], spec_executables()
    [files] = entries["Files"]
    assert files["Source"] == rf"..\dist\{spec_collect_name()}\*" and files["DestDir"] == "{app}"
    assert {"recursesubdirs", "createallsubdirs", "ignoreversion"} <= set(files["Flags"].split())
    shortcuts = [e for e in entries["Icons"] if _app_exe(e["Filename"])]
    assert {e["Name"] for e in shortcuts} == {r"{group}\Guichet Enfance", r"{autodesktop}\Guichet Enfance"}
    for entry in shortcuts + entries["Run"]:
        assert executables[_app_exe(entry["Filename"])] is False, entry  # the windowed one, no console
    assert any(e["Filename"] == "{uninstallexe}" for e in entries["Icons"])
    desktop = next(e for e in shortcuts if e["Name"].startswith("{autodesktop}"))
    [task] = entries["Tasks"]
    assert desktop["Tasks"] == task["Name"] and "unchecked" in task["Flags"].split()
    [run] = entries["Run"]
    assert {"postinstall", "nowait", "skipifsilent"} <= set(run["Flags"].split())
    messages = dict(line.split("=", 1) for line in iss["sections"]["CustomMessages"])
    assert run["Description"] == "{cm:LaunchApp}" and messages["french.LaunchApp"] == "Lancer Guichet Enfance"


def test_the_uninstaller_keeps_the_data(iss):
    data = re.compile(r"\{(localappdata|userappdata|commonappdata|appdata|userdocs|%)", re.IGNORECASE)
    for section in ("UninstallDelete", "InstallDelete"):
        for entry in iss["entries"].get(section, []):
            assert entry["Name"].startswith("{app}\\") and not data.search(entry["Name"]), entry
    code = "\n".join(iss["sections"]["Code"])
    assert not re.search(r"\b(DelTree|DeleteFile|RemoveDir)\b", code, re.IGNORECASE)
    assert "usPostUninstall" in code and "not UninstallSilent" in code
    assert r"{localappdata}\GuichetEnfance" in code  # where the message says the data stays


# --- the workflow --------------------------------------------------------------------------------------------------
def _workflow() -> dict:
    loaded = yaml.safe_load(read(WORKFLOW))
    assert isinstance(loaded, dict)
    return loaded


def _workflow_steps() -> list[dict]:
    return [step for job in _workflow()["jobs"].values() for step in job["steps"]]


def test_the_workflow_runs_the_scripts_on_windows():
    workflow = _workflow()
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert {"push", "pull_request", "workflow_dispatch"} <= set(triggers)
    assert [job["runs-on"] for job in workflow["jobs"].values()] == ["windows-latest"]
    steps = _workflow_steps()
    uses = [step["uses"] for step in steps if "uses" in step]
    assert {"actions/checkout@v4", "actions/setup-python@v5", "actions/upload-artifact@v4"} <= set(uses)
    python = next(step for step in steps if step.get("uses") == "actions/setup-python@v5")
    assert str(python["with"]["python-version"]) == "3.11"
    runs = [step for step in steps if "run" in step]
    assert runs and all(step.get("shell") == "pwsh" for step in runs)
    called = [name for step in runs for name in re.findall(r"pwsh -File (\S+\.ps1)", step["run"])]
    assert called == ["scripts/test.ps1", "scripts/package.ps1"]
    assert all((ROOT / name).is_file() for name in called)
    assert "choco install innosetup" in "\n".join(step["run"] for step in runs)


# --- the icon ------------------------------------------------------------------------------------------------------
def test_the_windows_icon_has_the_sizes_windows_asks_for():
    with Image.open(ROOT / "resources" / "icon.ico") as icon:
        assert icon.format == "ICO"
        sizes = {width for width, height in icon.info["sizes"] if width == height}
    assert {16, 32, 48, 256} <= sizes
