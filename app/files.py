"""Local files: readable by their owner only (personal data protection: the database and its WAL/SHM files, backups and logs
0600, their folders 0700; on Windows the user's profile folders already are private, nothing is changed there, but a
database folder elsewhere gets an ACL for its user only, and a database file others can read is said:
``owner_only_folder``, ``database_privacy``); where a local database may not live (a network share, a mapped drive,
OneDrive); and documents the agent saves, written whole or not at all."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

from .services.errors import FileNotWritable

POSIX = os.name == "posix"
FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path) -> Path:
    """Create the folder if needed (0700) and take group and others' rights away from an existing one."""
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    if POSIX and stat.S_IMODE(path.stat().st_mode) & 0o077:
        path.chmod(DIR_MODE)
    return path


def private_file(path: Path) -> None:
    """0600 for an existing file (missing files are left alone)."""
    if not POSIX:
        return
    try:
        if stat.S_IMODE(path.stat().st_mode) & 0o077:
            path.chmod(FILE_MODE)
    except FileNotFoundError:
        pass


def private_database(database: Path) -> None:
    """The SQLite file and its companions (-wal, -shm, -journal)."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        private_file(Path(f"{database}{suffix}"))


# --- a database folder for its user only; a database file others can read ------------------------------------

SYSTEM_SID, ADMINISTRATORS_SID = "*S-1-5-18", "*S-1-5-32-544"
"""icacls takes ``*SID``: the same on a French Windows (« Système », « Administrateurs ») as on an English one."""
OTHERS_NAMES = frozenset(
    {"everyone", "tout le monde", "users", "utilisateurs", "authenticated users", "domain users"}
    | {"utilisateurs du domaine", "s-1-1-0", "s-1-5-11", "s-1-5-32-545"}
)
"""The groups of every account of the computer (or of the domain), in English and French Windows, and their SIDs
as icacls prints an unnamed one; « Utilisateurs authentifiés » is matched by its beginning (``_is_others``)."""
READ_RIGHTS = frozenset({"F", "M", "RX", "R", "GR", "GA", "RD", "MA"})
DENY_WORDS = frozenset({"DENY", "REFUSER", "REFUS"})  # a refusal, whatever the language of this Windows
BACKUPS_FOLDER = "sauvegardes"  # the daily copies beside the database (``backup.backup_dir_for``)


def icacls_path() -> str:
    """icacls by its full path: never a program of the same name in the working folder."""
    return os.path.join(os.environ.get("SYSTEMROOT") or "C:\\Windows", "System32", "icacls.exe")


def owner_only_command(folder: Path) -> list[str] | None:
    """Windows: the folder's ACL for this account only (and what its files and folders inherit): the inherited
    rights removed (``/inheritance:r``: « Utilisateurs », « Utilisateurs authentifiés » of ``D:\\``), full
    control for this account, SYSTEM (Windows' own backup, the antivirus) and the Administrators group, which may
    take any file anyway (and only with an elevated program: an administrator's ordinary session does not read
    it). None when the account is unknown."""
    user = os.environ.get("USERNAME", "").strip()
    if not user:
        return None
    domain = os.environ.get("USERDOMAIN", "").strip()
    account = f"{domain}\\{user}" if domain else user
    grants = [f"{who}:(OI)(CI)F" for who in (account, SYSTEM_SID, ADMINISTRATORS_SID)]
    return [icacls_path(), str(folder), "/inheritance:r", "/grant:r", *grants]


def _decode(data: bytes) -> str:
    """icacls writes in the console's code page (OEM: cp850 on a French Windows)."""
    for encoding in ("utf-8", "oem"):
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError):  # "oem" exists on Windows only
            continue
    return data.decode("cp1252", errors="replace")


def _icacls(args: list[str]) -> str | None:
    """icacls' output, None when it failed (said in the log)."""
    import logging
    import subprocess

    try:
        done = subprocess.run(
            args,
            capture_output=True,
            timeout=30,
            check=False,
            creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0),  # no console flashing
        )
    except (OSError, subprocess.SubprocessError) as exc:
        logging.getLogger(__name__).warning("icacls : %s", exc)
        return None
    if done.returncode != 0:
        logging.getLogger(__name__).warning("icacls %s : code %s", args[1:], done.returncode)
        return None
    return _decode(done.stdout or b"")


def owner_only_folder(folder: Path) -> bool:
    """The folder readable by this account only: 0700 on POSIX, ``owner_only_command`` on Windows. False when it
    could not be done."""
    if sys.platform != "win32":
        try:
            folder.chmod(DIR_MODE)
        except OSError:
            return False
        return True
    command = owner_only_command(folder)
    return command is not None and _icacls(command) is not None


def _is_others(trustee: str) -> bool:
    name = trustee.strip().rsplit("\\", 1)[-1].casefold()
    return name in OTHERS_NAMES or name.startswith("utilisateurs authentifi") or name.endswith("-513")


def others_in_icacls(output: str, path: str) -> list[str]:
    """The groups of others (``OTHERS_NAMES``) that icacls' listing of ``path`` shows allowed to read it (a
    ``DENY`` entry, or an inherit-only one, gives nothing)."""
    found: list[str] = []
    for number, line in enumerate(output.splitlines()):
        text = line.strip()
        if number == 0 and text.casefold().startswith(path.casefold()):
            text = text[len(path) :].strip()
        cut_at = text.rfind(":(")
        if cut_at <= 0:
            continue
        trustee, rights = text[:cut_at], set(re.findall(r"\(([^)]*)\)", text[cut_at + 1 :]))
        granted = {right for group in rights for right in group.split(",")}
        if rights & DENY_WORDS or "IO" in rights or not granted & READ_RIGHTS:
            continue
        if _is_others(trustee) and trustee not in found:
            found.append(trustee)
    return found


def privacy_warning(database: Path) -> str | None:
    """In French, that other accounts of this computer can read the database file (POSIX: group or others' rights;
    Windows: an icacls entry for a group of others); None when they cannot, or when it cannot be known."""
    try:
        if sys.platform == "win32":
            output = _icacls([icacls_path(), str(database)]) if database.is_file() else None
            who = ", ".join(others_in_icacls(output, str(database))) if output else ""
        else:
            rights = stat.S_IMODE(database.stat().st_mode)
            who = f"permissions {rights:04o}" if rights & 0o077 else ""
    except OSError:
        return None
    if not who:
        return None
    return (
        f"Attention : la base de données {database} est lisible par d'autres comptes de cet ordinateur ({who}). "
        "Placez-la dans un dossier réservé à ce compte, ou faites-en restreindre l'accès par l'informaticien."
    )


def dedicated_folder(database: Path) -> bool:
    """The folder holds the database's files only (itself, -wal, -shm, its backups): its ACL may be changed.
    Never a drive's root."""
    folder = database.parent
    if folder.parent == folder:
        return False
    try:
        names = [entry.name for entry in folder.iterdir()]
    except OSError:
        return False
    return all(name.startswith(database.name) or name == BACKUPS_FOLDER for name in names)


def database_privacy(database: Path) -> str | None:
    """``privacy_warning`` for a local database; on Windows, a database others can read in a folder of its own
    first has that folder made ``owner_only_folder`` (its files inherit the new rights), then is read again."""
    warning = privacy_warning(database)
    if (
        warning
        and sys.platform == "win32"
        and dedicated_folder(database)
        and owner_only_folder(database.parent)
    ):
        warning = privacy_warning(database)
    return warning


# --- where a local database may live --------------------------------------------------------------------------

WINDOWS = os.name == "nt"
NETWORK_FILESYSTEMS = frozenset(
    {
        "nfs",
        "nfs4",
        "cifs",
        "smb3",
        "smbfs",
        "9p",
        "afs",
        "ceph",
        "glusterfs",
        "davfs",
        "fuse.sshfs",
        "fuse.rclone",
        "fuse.gvfsd-fuse",
    }
)
ONEDRIVE_VARIABLES = ("OneDrive", "OneDriveCommercial", "OneDriveConsumer")
_DRIVE = re.compile(r"^([A-Za-z]):")
_ONEDRIVE_FOLDER = re.compile(r"^onedrive( - .+)?$", re.IGNORECASE)  # "OneDrive", "OneDrive - Mairie de …"
DRIVE_REMOTE = 4  # GetDriveTypeW


def drive_is_remote(letter: str) -> bool:
    """Windows: the drive is a mapped network drive (``net use Z: \\\\serveur\\partage``)."""
    if not WINDOWS:
        return False
    import ctypes

    return bool(ctypes.windll.kernel32.GetDriveTypeW(f"{letter}:\\") == DRIVE_REMOTE)  # type: ignore[attr-defined,unused-ignore]


def mount_filesystem(path: Path, mounts: str | None = None) -> str | None:
    """Linux: the type of the filesystem holding ``path`` (from /proc/self/mounts), None when unknown."""
    if mounts is None:
        try:
            mounts = Path("/proc/self/mounts").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
    best, kind = "", None
    target = str(path)
    for line in mounts.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), fields[1])  # \040 is a space…
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, kind = point, fields[2]
    return kind


def network_location(
    path: str, *, environ: Mapping[str, str] | None = None, mounts: str | None = None
) -> str | None:
    """Why ``path`` is not on a disk of this computer, in French ("un partage réseau (chemin UNC)", "le lecteur
    réseau Z:", "un dossier synchronisé par OneDrive", "un dossier réseau (nfs4)"); None on a local disk.

    A SQLite database there is refused (``NetworkDatabase``): WAL needs shared memory on a local disk, and neither a
    share nor a sync client respects SQLite's locks."""
    environ = os.environ if environ is None else environ
    text = path.strip()
    if WINDOWS and not text.replace("/", "\\").startswith("\\\\"):
        text = os.path.abspath(text)  # a relative name in a working folder on a share or a mapped drive
    unc = text.replace("/", "\\") if WINDOWS else text
    if unc.startswith("\\\\"):
        if unc[2:4] not in ("?\\", ".\\"):
            return "un partage réseau (chemin UNC)"
        rest = unc[4:]  # \\?\C:\… is a local drive; \\?\UNC\serveur\… a share
        if rest.upper().startswith("UNC\\"):
            return "un partage réseau (chemin UNC)"
        text = rest
    drive = _DRIVE.match(text)
    if drive and drive_is_remote(drive.group(1).upper()):
        return f"le lecteur réseau {drive.group(1).upper()}:"
    folded = text.replace("\\", "/").casefold()
    for variable in ONEDRIVE_VARIABLES:
        root = environ.get(variable, "").strip().replace("\\", "/").rstrip("/").casefold()
        if root and (folded == root or folded.startswith(root + "/")):
            return "un dossier synchronisé par OneDrive"
    if any(_ONEDRIVE_FOLDER.match(part) for part in re.split(r"[\\/]", text)):
        return "un dossier synchronisé par OneDrive"
    if sys.platform.startswith("linux") and (mounts is not None or not drive):
        absolute = Path(os.path.realpath(os.path.expanduser(text)))  # a symbolic link to a mount is followed
        kind = mount_filesystem(absolute, mounts)
        if kind in NETWORK_FILESYSTEMS:
            return f"un dossier réseau ({kind})"
    return None


# --- documents the agent saves ----------------------------------------------------------------------------------


def _not_written(path: Path, exc: OSError) -> FileNotWritable:
    """The French reason an OS error gives; ``locked`` when another program may hold the file."""
    if getattr(exc, "winerror", None) in (32, 33):  # ERROR_SHARING_VIOLATION, ERROR_LOCK_VIOLATION
        return FileNotWritable(str(path), "le fichier est ouvert dans un autre programme", locked=True)
    if isinstance(exc, PermissionError):
        return FileNotWritable(
            str(path),
            "accès refusé (fichier ouvert dans un autre programme, en lecture seule, ou dossier protégé)",
            locked=True,
        )
    if isinstance(exc, FileNotFoundError | NotADirectoryError):
        return FileNotWritable(str(path), "le dossier n'existe pas")
    if exc.errno == errno.ENOSPC:
        return FileNotWritable(str(path), "le disque est plein")
    if isinstance(exc, IsADirectoryError):
        return FileNotWritable(str(path), "c'est un dossier")
    return FileNotWritable(str(path), exc.strerror or type(exc).__name__)


DOCUMENT_MODE = 0o644
"""POSIX mode of a new document the agent saves (others' programs open it; an existing file keeps its own)."""
REPLACE_TRIES = 5
"""Windows: an antivirus or the search indexer may hold a file just written for a moment: moved again a few times."""


def _temporary_beside(path: Path) -> Path:
    try:
        handle, name = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".tmp", dir=path.parent)
    except PermissionError as exc:
        raise FileNotWritable(str(path), "le dossier est protégé en écriture") from exc
    except OSError as exc:
        raise _not_written(path, exc) from exc
    os.close(handle)
    return Path(name)


def _replace(temporary: Path, path: Path) -> None:
    for attempt in range(REPLACE_TRIES):
        try:
            os.replace(temporary, path)
            return
        except PermissionError:
            if not WINDOWS or attempt == REPLACE_TRIES - 1:
                raise
            time.sleep(0.1 * (attempt + 1))


def write_documents(documents: Mapping[Path, bytes], *, private: bool = False) -> list[Path]:
    """Write files the agent asked for (a PDF, an export, a JSON and its PDF): each into a temporary file beside it,
    then all moved over their targets, so that a failure leaves the existing files whole (the temporary files are
    removed). ``FileNotWritable`` (French) when a target is read-only or locked — on Windows, a PDF open in a reader
    is — or the folder cannot be written. A new file gets ``DOCUMENT_MODE``, an existing one keeps its mode; a
    ``private`` one (an export of personal data) is readable by its user only (0600), whatever it was."""
    targets = [Path(p) for p in documents]
    for path in targets:
        if path.is_dir():
            raise FileNotWritable(str(path), "c'est un dossier")
        if path.exists() and not os.access(path, os.W_OK):
            raise FileNotWritable(str(path), "le fichier est en lecture seule")
    written: list[tuple[Path, Path]] = []
    try:
        for path, data in zip(targets, documents.values(), strict=True):
            temporary = _temporary_beside(path)
            written.append((temporary, path))
            temporary.write_bytes(data)
            if POSIX:
                mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else DOCUMENT_MODE
                temporary.chmod(FILE_MODE if private else mode)
        for temporary, path in written:
            _replace(temporary, path)
    except OSError as exc:
        raise _not_written(path, exc) from exc
    finally:
        for temporary, _path in written:
            with contextlib.suppress(OSError):
                temporary.unlink(missing_ok=True)
    return targets


def write_document(path: Path, data: bytes, *, private: bool = False) -> Path:
    """One document, as ``write_documents``."""
    return write_documents({Path(path): data}, private=private)[0]
