"""A town hall PC under Windows, simulated here on Linux: a UNC path, a database another program has open, a
document locked by a PDF reader, a cp1252 standard output, a keyring backend raising something else than
``KeyringError``, a windowed program without a console, two instances sharing a log."""

from __future__ import annotations

import errno
import os
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from app import backup, files
from app.db import make_engine
from app.services.errors import DatabaseInUse, FileNotWritable, NetworkDatabase, ValidationError
from tests.helpers import child_encoding
from tests.test_cli import assert_one_line_french_error, run_app

# --- SQLite on a network drive ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "where"),
    [
        (r"\\serveur\partage\guichet.sqlite3", "partage réseau"),
        (r"\\?\UNC\serveur\partage\guichet.sqlite3", "partage réseau"),
        (r"C:\Users\agent\OneDrive - Mairie de Lunel\guichet.sqlite3", "OneDrive"),
        (r"C:\Users\agent\OneDrive\Documents\guichet.sqlite3", "OneDrive"),
    ],
)
def test_a_database_on_a_share_or_in_onedrive_is_refused(path, where, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # on Linux these are relative names: they would be created here
    assert where in (files.network_location(path) or "")
    with pytest.raises(NetworkDatabase, match="serveur partagé") as refused:
        make_engine(f"sqlite:///{path}")
    assert where in str(refused.value) and "risque de corruption" in str(refused.value)
    assert not list(tmp_path.iterdir())  # nothing was created anywhere


def test_mapped_network_drives_and_the_onedrive_variable_are_recognised(monkeypatch):
    monkeypatch.setattr(files, "drive_is_remote", lambda letter: letter == "Z")
    assert files.network_location(r"Z:\guichet\guichet.sqlite3") == "le lecteur réseau Z:"
    assert files.network_location(r"z:/guichet.sqlite3") == "le lecteur réseau Z:"
    assert files.network_location(r"C:\guichet\guichet.sqlite3") is None
    assert files.network_location(r"\\?\C:\guichet\guichet.sqlite3") is None  # a long local path
    synced = {"OneDriveCommercial": r"D:\Synchro\Mairie"}
    assert files.network_location(r"d:\synchro\mairie\base\g.sqlite3", environ=synced) == (
        "un dossier synchronisé par OneDrive"
    )
    assert files.network_location(r"D:\Synchro\Mairie2\g.sqlite3", environ=synced) is None
    monkeypatch.setattr(files, "WINDOWS", True)  # there, forward slashes name shares too
    assert files.network_location("//serveur/partage/g.sqlite3") == "un partage réseau (chemin UNC)"


def test_a_database_on_a_network_mount_is_refused_on_linux():
    mounts = "/dev/sda1 / ext4 rw 0 0\nnas:/export /mnt/nas nfs4 rw 0 0\n//srv/guichet /mnt/smb cifs rw 0 0\n"
    assert files.network_location("/mnt/nas/g.sqlite3", mounts=mounts) == "un dossier réseau (nfs4)"
    assert files.network_location("/mnt/smb/a/g.sqlite3", mounts=mounts) == "un dossier réseau (cifs)"
    assert files.network_location("/mnt/nasse/g.sqlite3", mounts=mounts) is None
    assert files.network_location("/home/agent/g.sqlite3", mounts=mounts) is None


def test_the_command_line_and_the_settings_refuse_a_share(tmp_path):
    for command in (("migrate",), ("restore", str(tmp_path / "sauvegarde.sqlite3"))):
        result = run_app(*command, "--db", r"sqlite:///\\serveur\partage\guichet.sqlite3", cwd=tmp_path)
        assert_one_line_french_error(result, "partage réseau")
        assert result.returncode == 2 and not list(tmp_path.iterdir())
    from PySide6.QtCore import QSettings

    from app.settings import Settings

    settings = Settings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    settings.use_local(str(tmp_path / "local.sqlite3"))
    with pytest.raises(NetworkDatabase):
        settings.use_local(r"\\serveur\partage\guichet.sqlite3")
    assert settings.get("database/path") == str(tmp_path / "local.sqlite3")  # unchanged


# --- restore while another program has the database open --------------------------------------------------------


def _names(database: Path) -> list[str]:
    with closing(sqlite3.connect(database)) as conn:
        return [row[0] for row in conn.execute("SELECT name FROM families ORDER BY id")]


@pytest.fixture
def local_base(tmp_path, demo_template, backend):
    if backend != "sqlite":
        pytest.skip("a restore concerns a local SQLite file")
    from sqlalchemy.engine import make_url

    database = tmp_path / "guichet.sqlite3"
    with (
        closing(sqlite3.connect(make_url(demo_template).database)) as source,
        closing(sqlite3.connect(database)) as to,
    ):
        source.backup(to)
    with closing(sqlite3.connect(database)) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
    saved = backup.daily_backup(database, __import__("datetime").date(2026, 11, 26))
    assert saved is not None
    with closing(sqlite3.connect(database)) as conn, conn:
        conn.execute("UPDATE families SET name = 'EFFACÉ'")
    return database, saved


def _windows_file_semantics(monkeypatch, database: Path) -> list[str]:
    """As on Windows: a file another program has open cannot be deleted, renamed or replaced (WinError 32)."""
    refused: list[str] = []
    guarded = {str(database), f"{database}-wal", f"{database}-shm"}

    def locked(name: str):
        error = PermissionError(
            errno.EACCES, "Le processus ne peut pas accéder au fichier (WinError 32)", name
        )
        error.winerror = 32  # type: ignore[attr-defined]
        refused.append(name)
        return error

    real_unlink, real_replace, real_rename = os.unlink, os.replace, os.rename

    def unlink(path, *args, **kwargs):
        if os.fspath(path) in guarded:
            raise locked(os.fspath(path))
        return real_unlink(path, *args, **kwargs)

    def replace(src, dst, *args, **kwargs):
        if os.fspath(src) in guarded or os.fspath(dst) in guarded:
            raise locked(os.fspath(dst))
        return real_replace(src, dst, *args, **kwargs)

    def rename(src, dst, *args, **kwargs):
        if os.fspath(src) in guarded or os.fspath(dst) in guarded:
            raise locked(os.fspath(dst))
        return real_rename(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "unlink", unlink)
    monkeypatch.setattr(os, "remove", unlink)
    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(os, "rename", rename)
    return refused


def test_restore_works_while_another_program_has_the_database_open(local_base, monkeypatch):
    database, saved = local_base
    other = sqlite3.connect(database)  # a counter still open on this computer
    try:
        assert other.execute("SELECT count(*) FROM families WHERE name = 'EFFACÉ'").fetchone()[0] == 40
        refused = _windows_file_semantics(monkeypatch, database)
        kept = backup.restore(saved, database)
        assert refused == []  # the database, its -wal and -shm were neither deleted nor replaced
        assert kept is not None and set(_names(kept)) == {"EFFACÉ"}
        assert other.execute("SELECT count(*) FROM families WHERE name = 'EFFACÉ'").fetchone()[0] == 0
        assert "EFFACÉ" not in _names(database)
    finally:
        other.close()


def test_restore_is_refused_while_another_program_writes(local_base, monkeypatch):
    database, saved = local_base
    monkeypatch.setattr(backup, "BUSY_TIMEOUT_S", 0.3)
    writer = sqlite3.connect(database, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE families SET name = 'EN COURS' WHERE id = 1")
        with pytest.raises(DatabaseInUse, match="en cours d'utilisation.*rien n'a été modifié"):
            backup.restore(saved, database)
        writer.execute("COMMIT")
    finally:
        writer.close()
    names = _names(database)
    assert names[0] == "EN COURS" and set(names[1:]) == {"EFFACÉ"}  # the other program's write is kept
    assert not list(database.parent.glob("*avant-restauration*"))


def test_a_restore_is_undone_by_restoring_the_copy_it_kept(local_base, tmp_path):
    from datetime import datetime

    database, saved = local_base
    odd = tmp_path / "sauvegarde #2 ?.sqlite3"  # a name SQLite's URIs must not misread
    odd.write_bytes(saved.read_bytes())
    kept = backup.restore(odd, database, now=datetime(2026, 11, 27, 9, 30))
    assert kept is not None and kept.name == "guichet.avant-restauration-2026-11-27-093000.sqlite3"
    assert "EFFACÉ" not in _names(database)
    again = backup.restore(kept, database, now=datetime(2026, 11, 27, 9, 31))  # undone
    assert set(_names(database)) == {"EFFACÉ"} and again is not None and again != kept
    assert "EFFACÉ" not in _names(again)  # what the first restore had put back is kept too
    with pytest.raises(ValidationError, match="la base elle-même"):
        backup.restore(database, database)


def test_a_restore_that_fails_for_another_reason_says_so(local_base, tmp_path):
    _database, saved = local_base
    target = tmp_path / "pas-une-base.sqlite3"
    target.write_text("bonjour", encoding="utf-8")
    with pytest.raises(ValidationError, match="a échoué") as failed:
        backup.restore(saved, target)
    assert not isinstance(failed.value, DatabaseInUse)
    assert target.read_text(encoding="utf-8") == "bonjour"


def test_restore_from_the_command_line_says_the_database_is_in_use(local_base):
    database, saved = local_base
    writer = sqlite3.connect(database, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        result = run_app("restore", "--db", f"sqlite:///{database}", str(saved))
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert_one_line_french_error(result, "en cours d'utilisation")
    assert result.returncode == 2 and set(_names(database)) == {"EFFACÉ"}


# --- documents saved over a file a PDF reader holds -------------------------------------------------------------


def _read_only(path: Path) -> None:
    """The target cannot be written: 0444 in a 0555 folder, and (as root, who ignores modes) immutable."""
    path.chmod(0o444)
    if os.geteuid() == 0:
        import subprocess

        if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
            pytest.skip("chattr +i is not available to make a file read-only for root")


def _writable(path: Path) -> None:
    if os.geteuid() == 0:
        import subprocess

        subprocess.run(["chattr", "-i", str(path)], capture_output=True)
    path.chmod(0o644)


@pytest.mark.posix_only(reason="a read-only file by chmod and, as root, chattr +i (os.geteuid)")
def test_saving_over_a_read_only_document_changes_nothing(tmp_path):
    target = tmp_path / "fiche.pdf"
    target.write_bytes(b"%PDF ancien")
    _read_only(target)
    try:
        with pytest.raises(FileNotWritable, match="lecture seule.*Rien n'a été modifié"):
            files.write_document(target, b"%PDF nouveau")
        assert target.read_bytes() == b"%PDF ancien"
        assert [p.name for p in tmp_path.iterdir()] == ["fiche.pdf"]  # no temporary file left
    finally:
        _writable(target)


def test_saving_over_a_document_locked_by_a_reader_changes_nothing(tmp_path, monkeypatch):
    target = tmp_path / "fiche.pdf"
    target.write_bytes(b"%PDF ancien")
    _windows_file_semantics(monkeypatch, target)  # os.replace onto it fails with WinError 32
    with pytest.raises(FileNotWritable, match="ouvert dans un autre programme"):
        files.write_document(target, b"%PDF nouveau")
    assert target.read_bytes() == b"%PDF ancien" and [p.name for p in tmp_path.iterdir()] == ["fiche.pdf"]
    monkeypatch.undo()
    files.write_document(target, b"%PDF nouveau")
    assert target.read_bytes() == b"%PDF nouveau"


def _pdf() -> bytes:
    import io

    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, "Fiche de réservations")
    page.save()
    return buffer.getvalue()


def test_save_dialogs_open_in_documents_then_where_the_agent_saved_last(qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    from app.ui.documents.file_dialogs import documents_folder
    from app.ui.documents.print_preview import PrintPreview

    monkeypatch.chdir(tmp_path)  # the working folder: on Windows, the installation folder
    chosen = tmp_path / "Mairie" / "fiche-dupont.pdf"
    chosen.parent.mkdir()
    asked: list[str] = []

    def dialog(parent, title, start, file_filter):
        asked.append(start)
        return str(chosen), file_filter

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(dialog))
    preview = PrintPreview(None, _pdf(), "Fiche", "fiche-dupont.pdf")
    qtbot.addWidget(preview)
    preview.ops.show_messages = False
    assert preview.save() == chosen and chosen.read_bytes().startswith(b"%PDF")
    assert asked[0] == str(documents_folder() / "fiche-dupont.pdf") and not asked[0].startswith(str(tmp_path))
    preview.save()
    assert asked[1] == str(chosen.parent / "fiche-dupont.pdf")  # the folder used last


def test_saving_a_pdf_over_one_open_in_a_reader_says_so_in_french(qtbot, tmp_path, monkeypatch):
    from app.ui.documents.print_preview import PrintPreview

    target = tmp_path / "fiche.pdf"
    target.write_bytes(b"%PDF ancien")
    preview = PrintPreview(None, _pdf(), "Fiche", "fiche.pdf")
    qtbot.addWidget(preview)
    preview.ops.show_messages = False
    said: list[str] = []
    preview.ops.failed.connect(said.append)
    _windows_file_semantics(monkeypatch, target)
    assert preview.save(str(target)) is None
    assert target.read_bytes() == b"%PDF ancien"
    assert (
        len(said) == 1 and "ouvert dans un autre programme" in said[0] and "Rien n'a été modifié" in said[0]
    )


@pytest.mark.posix_only(reason="a read-only file by chmod and, as root, chattr +i (os.geteuid)")
def test_printing_to_a_locked_file_from_the_command_line_is_one_french_line(
    tmp_path, demo_template, monkeypatch
):
    target = tmp_path / "liste.pdf"
    target.write_bytes(b"%PDF ancien")
    _read_only(target)
    try:
        result = run_app(
            "print",
            "attendance",
            "--activity",
            "1",
            "--day",
            "2026-12-02",
            "--db",
            demo_template,
            str(target),
        )
    finally:
        _writable(target)
    assert_one_line_french_error(result, "lecture seule", "Rien n'a été modifié")
    assert result.returncode == 2 and target.read_bytes() == b"%PDF ancien"


# --- a cp1252 standard output (a Windows console redirected to a file) ---------------------------------------------


def test_nightly_writes_a_romanian_name_to_a_cp1252_output(demo_copies):
    import subprocess
    import sys

    from sqlalchemy import update

    from app.models import Family
    from tests.test_cli import ROOT

    db = demo_copies()
    with db.engine.begin() as conn:  # a family without e-mail: the report counts it
        conn.execute(update(Family).where(Family.name == "LAMY").values(name="ȘTEFĂNESCU"))
    url = db.engine.url.render_as_string(hide_password=False)
    db.engine.dispose()
    result = subprocess.run(
        [sys.executable, "-m", "app", "nightly", "--db", url, "--date", "2026-11-26", "--no-send"],
        cwd=ROOT,
        capture_output=True,
        encoding="cp1252",
        timeout=120,
        env={**os.environ, "PYTHONIOENCODING": "cp1252"},
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    # its report goes to the scheduled task's log: families are counted, never named (issue 27)
    assert "sans e-mail à prévenir autrement" in result.stdout
    assert not any(name in result.stdout for name in ("STEFANESCU", "ȘTEFĂNESCU", "LEFÈVRE", "LAMY"))
    assert result.stdout.rstrip().endswith("Envoi des e-mails non demandé.")  # the command went to its end


def test_folding_keeps_what_the_code_page_has():
    import codecs

    from app.console import fold_unencodable

    codecs.register_error("test-fold", fold_unencodable)
    assert "Ștefănescu, Éloïse — 13,00 €".encode("cp1252", "test-fold").decode("cp1252") == (
        "Stefanescu, Éloïse — 13,00 €"
    )
    assert "Łukasz 北".encode("cp1252", "test-fold").decode("cp1252") == "?ukasz ?"


# --- the windowed program: no console, start-up errors in a message box ------------------------------------------

NO_CONSOLE = "import sys\nsys.stdout = None\nsys.stderr = None  # as in a windowed program on Windows\n"


def _windowed(code: str, home: Path, timeout: int = 120):
    import subprocess
    import sys

    from tests.test_cli import ROOT

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "GUICHET_HOME": str(home)}
    result = subprocess.run(
        [sys.executable, "-c", NO_CONSOLE + code], cwd=ROOT, capture_output=True, timeout=timeout, env=env
    )
    # Each stream in its encoding: ``sys.__stdout__`` writes the locale's (cp1252 on Windows); without sys.stderr,
    # what reaches the error stream (a SystemExit's text) is written by the interpreter itself, in UTF-8 whatever
    # the code page, on Windows too.
    return subprocess.CompletedProcess(
        result.args,
        result.returncode,
        result.stdout.decode(child_encoding(env)),
        result.stderr.decode("utf-8"),
    )


def _log(home: Path) -> str:
    return (home / "logs" / "guichet-enfance.log").read_text(encoding="utf-8")


def test_a_windowed_start_on_an_unreachable_server_is_logged_and_shown(tmp_path):
    code = (
        "from app.windowed import main_windowed, show_startup_error\n"
        "shown = []\n"
        "def show(message, log_file):\n"
        "    shown.append(message)\n"
        "    show_startup_error(message, log_file)  # the real box (it closes itself offscreen)\n"
        "code = main_windowed(['gui', '--db', 'postgresql+psycopg://guichet@127.0.0.1:1/x'], show=show)\n"
        "open(sys.argv[0] if False else 'shown.txt', 'w', encoding='utf-8').write('\\n'.join(shown))\n"
        "sys.exit(code)\n"
    )
    result = _windowed(code.replace("'shown.txt'", repr(str(tmp_path / "shown.txt"))), tmp_path)
    assert result.returncode == 2 and result.stdout == "" and result.stderr == ""  # nothing to print to
    shown = (tmp_path / "shown.txt").read_text(encoding="utf-8")
    assert shown.startswith("Erreur : Impossible de se connecter à la base de données PostgreSQL")
    assert "serveur injoignable" in shown and "\n" not in shown
    assert "Impossible de se connecter" in _log(tmp_path) and "Traceback" not in _log(tmp_path)


def test_a_windowed_program_sends_command_line_work_to_the_console_program(tmp_path):
    code = (
        "from app.windowed import main_windowed\n"
        "def show(message, log_file):\n"
        "    raise SystemExit(f'{message}|{log_file}')\n"  # what the box would say, as the exit status text
        "main_windowed(['nightly', '--no-send'], show=show)\n"
    )
    result = _windowed(code, tmp_path)
    message, log_file = result.stderr.strip().split("|")
    assert "« nightly » est une commande en ligne" in message and "guichet-enfance-cli.exe nightly" in message
    assert Path(log_file) == tmp_path / "logs" / "guichet-enfance.log" and "commande en ligne" in _log(
        tmp_path
    )


def test_a_crash_before_any_window_is_logged_with_its_traceback_and_shown_in_french(tmp_path):
    code = (
        "import app.__main__\n"
        "def broken(argv=None):\n"
        "    raise RuntimeError('panne au démarrage')\n"
        "app.__main__.main = broken\n"
        "from app.windowed import main_windowed\n"
        "shown = []\n"
        "code = main_windowed([], show=lambda message, log_file: shown.append(message))\n"
        'assert len(shown) == 1 and shown[0].startswith("Une erreur inattendue s\'est produite"), shown\n'
        "sys.exit(code)\n"
    )
    result = _windowed(code, tmp_path)
    assert result.returncode == 1, result.stderr
    text = _log(tmp_path)
    assert "démarrage du programme" in text and "RuntimeError: panne au démarrage" in text


def test_the_start_up_error_box_is_french_and_names_the_log(qtbot, tmp_path, monkeypatch):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    from app import windowed

    monkeypatch.setattr(windowed, "HEADLESS_CLOSE_MS", 60_000)
    seen: list[tuple[str, str, str]] = []

    def look() -> None:
        box = next(
            w for w in QApplication.topLevelWidgets() if w.objectName() == "startup-error" and w.isVisible()
        )
        assert isinstance(box, QMessageBox)
        box.grab().save(str(tmp_path / "startup-error.png"))
        seen.append((box.windowTitle(), box.text(), box.informativeText()))
        box.close()

    QTimer.singleShot(300, look)
    windowed.show_startup_error("Erreur : Impossible de se connecter au serveur.", str(tmp_path / "x.log"))
    assert seen and seen[0][0] == "Guichet Enfance" and seen[0][1] == "Guichet Enfance n'a pas pu démarrer."
    assert "Impossible de se connecter" in seen[0][2] and str(tmp_path / "x.log") in seen[0][2]
    assert (tmp_path / "startup-error.png").stat().st_size > 2000


# --- printing: at the printer's resolution, not the preview's 110 dpi ---------------------------------------------


def test_a_sheet_is_printed_at_300_dpi_at_least(qtbot, demo_db, tmp_path):
    from pypdf import PdfReader
    from PySide6.QtPrintSupport import QPrinter

    from app.services.documents.sheet import reservation_sheet_pdf
    from app.ui.documents.print_preview import PrintPreview

    preview = PrintPreview(
        None, reservation_sheet_pdf(demo_db, 1, None, None, printed_by="test"), "Fiche", "f.pdf"
    )
    qtbot.addWidget(preview)
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)  # a PDF "printer": 1200 dpi
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "imprime.pdf"))
    assert preview.print_document(printer)
    page = PdfReader(str(tmp_path / "imprime.pdf")).pages[0]
    objects = page["/Resources"]["/XObject"]
    (image,) = [
        objects[name].get_object() for name in objects if objects[name].get_object()["/Subtype"] == "/Image"
    ]
    width_inches = float(page.mediabox.width) / 72
    assert int(image["/Width"]) / width_inches >= 300  # the page's picture: 300 dpi or more across the sheet
    assert int(image["/Width"]) >= 2400


# --- two instances writing the same log --------------------------------------------------------------------------

LOGGER = '''
import logging, os, sys, time
from pathlib import Path

def held_by_another_process(path):
    """Windows' rule, read from /proc: a file another process has open cannot be renamed or deleted."""
    target = os.path.realpath(path)
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                if os.path.realpath(f"/proc/{pid}/fd/{fd}") == target:
                    return True
        except OSError:
            continue
    return False

def windows(call):
    def guarded(src, *args, **kwargs):
        if src.endswith(".log") or ".log." in src:
            if held_by_another_process(src):
                error = PermissionError(13, "WinError 32: used by another process", src)
                error.winerror = 32
                raise error
        return call(src, *args, **kwargs)
    return guarded

os.rename, os.replace, os.remove, os.unlink = (windows(os.rename), windows(os.replace), windows(os.remove),
                                                windows(os.unlink))
from app.logging_setup import setup_logging
directory, name, count, start = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
setup_logging(directory, max_bytes=20_000, backups=100)
while time.time() < start:
    time.sleep(0.01)
for i in range(count):
    logging.getLogger("app").info("%s record %05d %s", name, i, "x" * 60)
'''


@pytest.mark.posix_only(reason="reads /proc to play Windows' rule on a file another process holds open")
def test_two_instances_rotate_the_same_log_without_losing_a_record(tmp_path):
    """Two processes log 600 records each into one log rotated every 20 kB, with Windows' rule that a file another
    process holds open cannot be renamed: every record is found once, and no file grows past its limit."""
    import subprocess
    import sys
    import time

    from tests.test_cli import ROOT

    script = tmp_path / "logger.py"
    script.write_text(LOGGER, encoding="utf-8")
    start = str(time.time() + 2)
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), str(tmp_path / "logs"), name, "600", start],
            cwd=ROOT,
            stderr=subprocess.PIPE,
            encoding=child_encoding(),
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        for name in ("guichet", "nightly")
    ]
    errors = [p.communicate(timeout=180)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errors
    assert all("Logging error" not in e and "PermissionError" not in e for e in errors), errors
    logs = sorted((tmp_path / "logs").glob("guichet-enfance.log*"))
    assert len(logs) > 3  # it did rotate, several times
    lines = [line for log in logs for line in log.read_text(encoding="utf-8").splitlines()]
    for name in ("guichet", "nightly"):
        records = sorted(line.split(f"{name} record ")[1][:5] for line in lines if f" {name} record " in line)
        assert records == [f"{i:05d}" for i in range(600)], name  # each once: none lost, none twice
    assert all(log.stat().st_size <= 20_000 + 200 for log in logs)


# --- a keyring backend raising something else than KeyringError ---------------------------------------------------


class PyWinTypesError(Exception):
    """What pywin32 raises from the Windows credential manager: not a KeyringError, not even an OSError."""


PyWinTypesError.__module__, PyWinTypesError.__name__, PyWinTypesError.__qualname__ = (
    "pywintypes",
    "error",
    "error",
)


def _broken_windows_keyring():
    from keyrings.alt.file import PlaintextKeyring

    class WinVaultLike(PlaintextKeyring):
        def get_password(self, service, username):
            raise PyWinTypesError(1312, "CredRead", "Une session ouverte spécifiée n'existe pas.")

        def set_password(self, service, username, password):
            raise PyWinTypesError(1312, "CredWrite", "Une session ouverte spécifiée n'existe pas.")

    return WinVaultLike()


def test_a_windows_keyring_error_becomes_a_french_refusal(monkeypatch):
    import keyring

    from app import keyring_store

    previous = keyring.get_keyring()
    keyring.set_keyring(_broken_windows_keyring())
    try:
        with pytest.raises(keyring_store.KeyringUnavailable, match="illisible \\(error\\)"):
            keyring_store.get("compte")
        with pytest.raises(keyring_store.KeyringUnavailable, match="a refusé"):
            keyring_store.put("compte", "secret")
        monkeypatch.setattr(keyring, "get_keyring", lambda: (_ for _ in ()).throw(PyWinTypesError(5)))
        assert keyring_store.available() is False
    finally:
        keyring.set_keyring(previous)


def test_the_nightly_says_in_french_that_the_keyring_failed(demo_copies, tmp_path):
    """The scheduled job runs under another Windows account than the one that stored the SMTP password: the
    credential manager refuses; the day is still transmitted, the e-mails wait, one French line says why."""
    import subprocess
    import sys

    from tests.test_cli import ROOT

    db = demo_copies()
    url = db.engine.url.render_as_string(hide_password=False)
    db.engine.dispose()
    (tmp_path / "sitecustomize.py").write_text(
        "import keyring\n"
        "from tests.test_windows_town_hall_pc import _broken_windows_keyring\n"
        "keyring.set_keyring(_broken_windows_keyring())\n",
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}",
        "GUICHET_SMTP_HOST": "127.0.0.1",
        "GUICHET_SMTP_FROM": "enfance@montech.example",
        "GUICHET_SMTP_PORT": "2",
        "GUICHET_SMTP_USER": "mairie",
        "GUICHET_SMTP_SECURITY": "none",
    }
    result = subprocess.run(
        [sys.executable, "-m", "app", "nightly", "--db", url, "--date", "2026-11-26"],
        cwd=ROOT,
        capture_output=True,
        encoding=child_encoding(env),
        timeout=120,
        env=env,
    )
    assert "Journée du 26/11/2026 : 36 demandes transmises." in result.stdout, result.stderr
    assert_one_line_french_error(result, "Trousseau de mots de passe illisible")


def test_the_windowed_program_shows_version_and_argument_errors_once_and_nothing_after_a_choice(tmp_path):
    code = (
        "from app.windowed import main_windowed\n"
        "said = []\n"
        "show = lambda message, log_file: said.append(('box', message))\n"
        "inform = lambda text: said.append(('info', text))\n"
        "codes = [main_windowed(['--version'], show=show, inform=inform),\n"
        "         main_windowed(['gui', '--pas-une-option'], show=show, inform=inform)]\n"
        "import app.__main__\n"
        "app.__main__.main = lambda argv=None: 1  # the first-run question closed: given up, nothing went wrong\n"
        "codes.append(main_windowed([], show=show, inform=inform))\n"
        "sys.__stdout__.write(repr((codes, said)))\n"
    )
    result = _windowed(code, tmp_path)
    codes, said = __import__("ast").literal_eval(result.stdout)
    assert codes == [0, 2, 1]
    assert said[0] == ("info", "Guichet Enfance 0.1.0")
    assert len(said) == 2 and said[1][0] == "box" and said[1][1].startswith("Erreur : arguments invalides")
    assert "\n" not in said[1][1]  # said once


def test_with_a_console_the_windowed_entry_is_the_command_line(tmp_path, capsys):
    """The packaged Linux program (and a terminal): nothing to show in a box, everything printed as before."""
    from app.windowed import main_windowed

    def no_box(*args):
        raise AssertionError("no message box where there is a console")

    code = main_windowed(
        ["check", "--db", f"sqlite:///{tmp_path / 'absente.sqlite3'}"], show=no_box, inform=no_box
    )
    assert code == 2 and "n'existe pas" in capsys.readouterr().err


@pytest.mark.posix_only(reason="POSIX modes, and as root chattr +i (os.geteuid)")
def test_documents_keep_sensible_modes_and_a_protected_folder_is_said_so(tmp_path):
    import stat
    import subprocess

    new = files.write_document(tmp_path / "nouveau.pdf", b"%PDF")
    assert stat.S_IMODE(new.stat().st_mode) == 0o644  # others' programs open it
    private = tmp_path / "prive.csv"
    private.write_bytes(b"a")
    private.chmod(0o600)
    files.write_document(private, b"b")
    assert stat.S_IMODE(private.stat().st_mode) == 0o600 and private.read_bytes() == b"b"
    folder = tmp_path / "protege"
    folder.mkdir()
    folder.chmod(0o555)
    immutable = (
        os.geteuid() == 0
        and subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode == 0
    )
    if os.geteuid() == 0 and not immutable:
        pytest.skip("chattr +i is not available to protect a folder from root")
    try:
        with pytest.raises(FileNotWritable, match="le dossier est protégé en écriture.*autre dossier"):
            files.write_document(folder / "fiche.pdf", b"%PDF")
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(folder)], capture_output=True)
        folder.chmod(0o755)
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize(
    ("program", "called"), [("guichet-enfance", "main_windowed"), ("guichet-enfance-cli", "main")]
)
def test_the_frozen_entry_started_as_the_cli_link_is_the_command_line(monkeypatch, program, called):
    """On Linux ``guichet-enfance-cli`` is a symbolic link to ``guichet-enfance`` (build.spec): under that name
    the program is ``main`` (a scheduled ``nightly`` with its output closed runs), under its own ``main_windowed``."""
    import app.__main__ as entry_module
    from tests.test_cli import ROOT

    calls: list[str] = []
    monkeypatch.setattr(entry_module, "main", lambda: calls.append("main") or 0)
    monkeypatch.setattr(entry_module, "main_windowed", lambda: calls.append("main_windowed") or 0)
    monkeypatch.setattr("sys.argv", [f"/opt/guichet-enfance/{program}", "nightly"])
    script = ROOT / "scripts" / "pyinstaller_entry.py"  # run as the bootloader runs it: sys.argv[0] kept
    with pytest.raises(SystemExit) as ended:
        exec(compile(script.read_text(encoding="utf-8"), str(script), "exec"), {"__name__": "__main__"})
    assert ended.value.code == 0 and calls == [called]
