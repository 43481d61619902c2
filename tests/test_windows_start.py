"""Starting the counter and its scheduled jobs as a town hall's Windows PC does (issue 33): Qt's own buttons in
French, ``--help`` under the program's real name, the nightly job and the worker in the counter's log file with an
exit code that says when e-mails could not leave, and the README's ``schtasks`` lines as cmd.exe and schtasks read
them."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from tests.helpers import child_encoding
from tests.smtp_server import Server, free_port, program_env
from tests.test_cli import ROOT, run_app

# --- Qt's own words ---------------------------------------------------------------------------------------------


def _words(buttons) -> set[str]:
    return {button.text().replace("&", "") for button in buttons}


def test_qt_standard_buttons_are_french_after_prepare_application():
    from PySide6.QtWidgets import QDialogButtonBox, QMessageBox

    from app.ui.shell.qt_app import install_qt_translation, prepare_application

    app = prepare_application()
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    assert _words(box.buttons()) == {"OK", "Annuler"}
    question = QMessageBox()
    question.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
    assert _words(question.buttons()) == {"Oui", "Non"}
    assert prepare_application() is app and install_qt_translation(app)  # once: not a second translator


# --- --help's program name --------------------------------------------------------------------------------------


def test_help_names_python_m_app_from_the_sources():
    from app.__main__ import build_parser

    assert build_parser().prog == "python -m app"
    result = run_app("--help")
    assert result.returncode == 0
    assert result.stdout.startswith("utilisation : python -m app ")
    wrong = run_app("nightly", "--date", "hier")
    assert wrong.returncode == 2 and "Voir « python -m app nightly --help »" in wrong.stderr


def test_help_names_the_console_program_once_packaged(monkeypatch, capsys):
    from app.__main__ import build_parser, main

    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert build_parser().prog == "guichet-enfance-cli"
    assert build_parser().format_help().startswith("utilisation : guichet-enfance-cli ")
    with pytest.raises(SystemExit) as stopped:
        main(["nightly", "--help"])
    assert stopped.value.code == 0
    said = capsys.readouterr().out
    assert said.startswith("utilisation : guichet-enfance-cli nightly ") and "python -m app" not in said
    with pytest.raises(SystemExit) as stopped:
        main(["nightly", "--date", "hier"])
    assert stopped.value.code == 2
    assert "Voir « guichet-enfance-cli nightly --help »" in capsys.readouterr().err


def test_the_packaged_command_line_entry_says_its_own_name(tmp_path):
    """``scripts/pyinstaller_cli.py`` as PyInstaller runs it (``sys.frozen`` set by its bootloader)."""
    code = (
        "import runpy, sys\n"
        "sys.frozen = True\n"
        "sys.argv = ['guichet-enfance-cli', '--help']\n"
        f"runpy.run_path({str(ROOT / 'scripts' / 'pyinstaller_cli.py')!r}, run_name='__main__')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        encoding=child_encoding(env),
        timeout=120,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("utilisation : guichet-enfance-cli ")
    assert "python -m app" not in result.stdout


# --- the nightly job and the worker: the counter's log file, the exit code -------------------------------------


def _log_text() -> str:
    from app.config import log_dir
    from app.logging_setup import LOG_FILE

    path = log_dir() / LOG_FILE
    return path.read_text(encoding="utf-8") if path.exists() else ""


def _pending(db) -> int:
    from app.models import OutboxMessage, OutboxStatus

    with db.reading() as uow:
        return uow.session.scalar(select(func.count()).where(OutboxMessage.status == OutboxStatus.PENDING))


def test_nightly_with_the_smtp_server_unreachable_exits_4_and_logs_the_failure(demo_copies):
    from app.__main__ import MAIL_NOT_SENT

    db = demo_copies()
    url = db.engine.url.render_as_string(hide_password=False)
    result = run_app("nightly", "--db", url, "--date", "2026-11-26", env=program_env(free_port()))
    assert result.returncode == MAIL_NOT_SENT == 4, result.stderr
    assert "Journée du 26/11/2026 : 36 demandes transmises." in result.stdout  # the day is transmitted
    (line,) = result.stderr.strip().splitlines()  # one French line, nothing in English
    assert line.startswith("Erreur : e-mails non envoyés, serveur d'envoi injoignable (127.0.0.1:")
    waiting = _pending(db)
    assert waiting > 0 and f"{waiting} messages restent en file d'envoi pour la prochaine exécution" in line
    log = _log_text()
    assert "INFO app.nightly: nightly: start (python -m app, pid " in log
    assert "INFO app.nightly: Journée du 26/11/2026 : 36 demandes transmises." in log
    assert f"ERROR app.nightly: {line}" in log
    assert "WARNING app.nightly: nightly: end, exit code 4" in log


def test_nightly_with_a_loopback_smtp_server_exits_0_and_logs_the_run(demo_copies):
    db = demo_copies()
    url = db.engine.url.render_as_string(hide_password=False)
    server = Server()
    try:
        result = run_app("nightly", "--db", url, "--date", "2026-11-26", env=program_env(server.port))
    finally:
        server.stop()
    assert result.returncode == 0, result.stderr
    sent = len(server.recorder.messages)
    assert sent > 0 and _pending(db) == 0
    log = _log_text()
    assert "INFO app.nightly: nightly: start (python -m app, pid " in log
    assert re.search(r"INFO app\.nightly: Fin de journée du 26/11/2026, (SQLite|PostgreSQL) « ", log)
    assert f"INFO app.nightly: E-mails envoyés : {sent}." in log
    assert "INFO app.nightly: nightly: end, exit code 0" in log
    assert " ERROR " not in log and " WARNING " not in log


def test_nightly_that_stops_on_a_missing_database_logs_why(tmp_path):
    result = run_app("nightly", "--db", f"sqlite:///{tmp_path / 'absente.sqlite3'}")
    assert result.returncode == 2 and result.stderr.startswith("Erreur : ")
    log = _log_text()
    assert "nightly: start" in log and "ERROR app.nightly: nightly: stopped: " in log and "absente" in log


def test_worker_writes_its_start_steps_and_end_in_the_counters_log(demo_copies):
    db = demo_copies()
    url = db.engine.url.render_as_string(hide_password=False)
    server = Server()
    try:
        result = run_app(
            "worker", "--once", "--db", url, env={**program_env(server.port), "GUICHET_END_OF_DAY": "00:00"}
        )
    finally:
        server.stop()
    assert result.returncode == 0, result.stderr
    log = _log_text()
    assert "INFO app.worker: worker: start (python -m app, pid " in log
    assert re.search(r"INFO app\.worker: Travaux de fond sur (SQLite|PostgreSQL) « ", log)
    assert re.search(r"INFO app\.worker: Fin de journée du \d\d/\d\d/\d{4} :", log)
    assert "INFO app.worker: worker: end, exit code 0" in log


# --- the README's schtasks lines, as cmd.exe and then schtasks read them ----------------------------------------

README = ROOT / "README.md"
TR_LIMIT = 261
"""schtasks refuses a longer /TR value (« Value for '/TR' option cannot be more than 261 character(s) »)."""
PROGRAM = "guichet-enfance-cli.exe"


def schtasks_commands(text: str) -> list[str]:
    """Each ``schtasks /Create …`` line of a text, its cmd continuations (a ``^`` ending the line) joined."""
    commands: list[str] = []
    lines = iter(text.splitlines())
    for line in lines:
        if not line.lstrip().lower().startswith("schtasks /create"):
            continue
        command = line.strip()
        while command.endswith("^"):
            command = command[:-1] + next(lines, "")
        commands.append(command.strip())
    return commands


def cmd_reads(line: str) -> tuple[str, list[str]]:
    """What cmd.exe passes to the program of a typed line, and the operators it keeps for itself. cmd knows no
    backslash escape: every double quote opens or closes a quoted part; outside one, ``^`` escapes the next character
    (and goes) and ``< > | &`` are cmd's own (redirection, pipe, next command)."""
    out: list[str] = []
    operators: list[str] = []
    quoted = False
    i = 0
    while i < len(line):
        char = line[i]
        if char == '"':
            quoted = not quoted
        elif not quoted and char == "^" and i + 1 < len(line):
            i += 1
            char = line[i]
        elif not quoted and char in "<>|&":
            operators.append(f"{char} at column {i}: …{line[max(0, i - 20) : i + 20]}…")
        out.append(char)
        i += 1
    return "".join(out), operators


def windows_argv(line: str) -> list[str]:
    """A Windows command line split as the C runtime (and schtasks, and Task Scheduler for the program of /TR)
    splits it — the inverse of ``subprocess.list2cmdline``: spaces and tabs separate arguments outside double quotes;
    a double quote opens or closes a group; 2n backslashes before a double quote are n backslashes (the quote
    groups), 2n+1 are n backslashes and a literal quote; other backslashes are literal."""
    args: list[str] = []
    current: list[str] = []
    started = quoted = False
    i = 0
    while i < len(line):
        char = line[i]
        if char == "\\":
            end = i
            while end < len(line) and line[end] == "\\":
                end += 1
            slashes = end - i
            if end < len(line) and line[end] == '"':
                current.append("\\" * (slashes // 2))
                if slashes % 2:
                    current.append('"')
                    end += 1
            else:
                current.append("\\" * slashes)
            started, i = True, end
            continue
        if char == '"':
            quoted, started = not quoted, True
        elif char in " \t" and not quoted:
            if started:
                args.append("".join(current))
                current, started = [], False
        else:
            current.append(char)
            started = True
        i += 1
    if started:
        args.append("".join(current))
    return args


def cmd_c_runs(rest: str) -> str:
    """The command ``cmd /c REST`` runs, by the quote rule cmd's own help states: the quotes are kept only when
    there are exactly two, with whitespace and none of ``&<>()@^|`` between them; otherwise a leading quote is
    removed with the last quote of the line (the text after it kept)."""
    rest = rest.lstrip()
    if not rest.startswith('"'):
        return rest
    if rest.count('"') == 2:
        inner = rest[1 : rest.index('"', 1)]
        if re.search(r"\s", inner) and not re.search(r"[&<>()@^|]", inner):
            return rest
    last = rest.rindex('"')
    return rest[1:last] + rest[last + 1 :]


@pytest.mark.parametrize(
    "args",
    [
        ["cmd", "/c", 'a "b" c'],
        [r"C:\Program Files\Guichet Enfance\guichet-enfance-cli.exe", "nightly", ""],
        [r"trailing\\", r"a\"b", "tab\there", r"C:\dir\\"],
    ],
)
def test_the_windows_splitter_is_list2cmdline_inverse(args):
    assert windows_argv(subprocess.list2cmdline(args)) == args


def schtasks_problems(command: str) -> list[str]:
    """What is wrong with one ``schtasks /Create`` line typed in cmd.exe ([] when nothing)."""
    seen, operators = cmd_reads(command)
    if operators:  # cmd would redirect (or run) that itself, for schtasks, not for the task
        return [f"cmd's own operator outside the quotes: {where}" for where in operators]
    argv = windows_argv(seen)
    at = [i for i, arg in enumerate(argv) if arg.upper() == "/TR"]
    if len(at) != 1 or at[0] + 1 >= len(argv):
        return [f"no single /TR value: {argv}"]
    following = argv[at[0] + 2 : at[0] + 3]
    if following and not following[0].startswith("/"):
        return [f"/TR is more than one argument: {argv[at[0] + 1 :]}"]
    task = argv[at[0] + 1]
    problems = [f"/TR has {len(task)} characters (at most {TR_LIMIT})"] if len(task) > TR_LIMIT else []
    words = windows_argv(task)
    shell = re.match(r"(?is)\s*cmd(?:\.exe)?\s+(\S+)\s*(.*)", task)
    if shell:
        if shell.group(1).lower() != "/c":
            return [*problems, f"cmd without /c: {task}"]
        runs = cmd_c_runs(shell.group(2))
    elif ">" in task:
        return [*problems, f"a redirection needs cmd /c: {task}"]
    else:
        runs = task
    if not (words and runs.startswith('"') and runs[1:].split('"', 1)[0].lower().endswith(PROGRAM)):
        problems.append(f"the program's path is not quoted: {runs}")
    for match in re.finditer(r">>?", runs):
        if not runs[match.end() :].lstrip().startswith(("&", '"')):
            problems.append(f"the log's path is not quoted: …{runs[match.start() :]}")
    return problems


def test_the_schtasks_checks_know_a_right_and_a_wrong_line():
    right = (
        r'schtasks /Create /TN "T" /SC DAILY /ST 19:30 /TR "cmd /c \"\"C:\Program Files\G E\guichet-enfance-cli.exe\"'
        r' nightly ^>^> \"C:\Users\n\Logs\nightly.txt\" 2^>^&1\""'
    )
    assert schtasks_problems(right) == []
    direct = r'schtasks /Create /TN "T" /TR "\"C:\Program Files\G E\guichet-enfance-cli.exe\" worker --db x"'
    assert schtasks_problems(direct) == []
    unquoted_log = right.replace(r"^>^> \"C:\Users\n\Logs\nightly.txt\"", r"^>^> C:\Users\n\Logs\nightly.txt")
    assert any("log's path" in p for p in schtasks_problems(unquoted_log))
    top_level = right.replace("^>^>", ">>")
    assert any("cmd's own operator" in p for p in schtasks_problems(top_level))
    no_cmd = (
        r'schtasks /Create /TR "\"C:\Program Files\G E\guichet-enfance-cli.exe\" nightly ^>^> \"C:\l.txt\""'
    )
    assert any("needs cmd /c" in p for p in schtasks_problems(no_cmd))
    # cmd /c strips the first and the last quote: without the doubled quote the program's path loses its own
    single = right.replace(r"\"\"C:", r"\"C:").replace(r'2^>^&1\""', r'2^>^&1"')
    assert any("program's path" in p for p in schtasks_problems(single))


def test_the_readme_schtasks_lines_parse():
    commands = schtasks_commands(README.read_text(encoding="utf-8"))
    names = [re.search(r'/TN "([^"]+)"', command).group(1) for command in commands]
    assert {"Guichet Enfance - travaux de fond", "Guichet Enfance - fin de journee"} <= set(names)
    problems = {name: schtasks_problems(command) for name, command in zip(names, commands, strict=True)}
    assert not any(problems.values()), problems


def test_messages_name_the_command_line_the_agent_has(monkeypatch):
    """A message that tells the agent a command names the packaged program once packaged (the town's PCs have no
    ``python -m app``), and the sources' command otherwise."""
    from app.services.errors import DatabaseMissing

    assert "« python -m app migrate »" in str(DatabaseMissing("guichet"))
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert "« guichet-enfance-cli migrate »" in str(DatabaseMissing("guichet"))


def test_worker_once_with_the_smtp_server_unreachable_exits_4(demo_copies):
    """A scheduled ``worker --once`` tells the Task Scheduler that e-mails stayed behind, as ``nightly`` does."""
    from app.__main__ import MAIL_NOT_SENT

    db = demo_copies()
    url = db.engine.url.render_as_string(hide_password=False)
    assert run_app("nightly", "--db", url, "--date", "2026-11-26", "--no-send").returncode == 0  # mail queued
    assert _pending(db) > 0
    result = run_app("worker", "--once", "--db", url, env=program_env(free_port()))
    assert result.returncode == MAIL_NOT_SENT, result.stderr
    assert "WARNING app.worker: worker: end, exit code 4" in _log_text()
