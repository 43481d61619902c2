"""Local files: readable by their owner only (DESIGN §2.8: the database and its WAL/SHM files, backups and logs
0600, their folders 0700; on Windows the user's profile folders already are private, nothing is changed there);
where a local database may not live (a network share, a mapped drive, OneDrive); and documents the agent saves,
written whole or not at all."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import sys
import tempfile
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


# --- where a local database may live --------------------------------------------------------------------------

WINDOWS = os.name == "nt"
NETWORK_FILESYSTEMS = frozenset({"nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "afs", "ceph", "glusterfs",
                                 "davfs", "fuse.sshfs", "fuse.rclone"})  # fmt: skip
ONEDRIVE_VARIABLES = ("OneDrive", "OneDriveCommercial", "OneDriveConsumer")
_DRIVE = re.compile(r"^([A-Za-z]):")
_ONEDRIVE_FOLDER = re.compile(r"^onedrive( - .+)?$", re.IGNORECASE)  # "OneDrive", "OneDrive - Mairie de …"
DRIVE_REMOTE = 4  # GetDriveTypeW


def drive_is_remote(letter: str) -> bool:
    """Windows: the drive is a mapped network drive (``net use Z: \\\\serveur\\partage``)."""
    if not WINDOWS:
        return False
    import ctypes

    return bool(ctypes.windll.kernel32.GetDriveTypeW(f"{letter}:\\") == DRIVE_REMOTE)  # type: ignore[attr-defined]


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
        point = fields[1].replace("\\040", " ")
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
        absolute = Path(os.path.abspath(os.path.expanduser(text)))
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
        return FileNotWritable(str(path), "accès refusé (fichier ouvert dans un autre programme, en lecture seule, "
                                          "ou dossier protégé)", locked=True)  # fmt: skip
    if isinstance(exc, FileNotFoundError | NotADirectoryError):
        return FileNotWritable(str(path), "le dossier n'existe pas")
    if exc.errno == errno.ENOSPC:
        return FileNotWritable(str(path), "le disque est plein")
    if isinstance(exc, IsADirectoryError):
        return FileNotWritable(str(path), "c'est un dossier")
    return FileNotWritable(str(path), exc.strerror or type(exc).__name__)


def write_document(path: Path, data: bytes) -> Path:
    """Write a file the agent asked for (a PDF, an export): into a temporary file beside it, then moved over the
    target, so that a failure leaves an existing file whole. ``FileNotWritable`` (French) when the target is read-only
    or locked — on Windows, a PDF open in a reader is — or the folder cannot be written."""
    path = Path(path)
    if path.is_dir():
        raise FileNotWritable(str(path), "c'est un dossier")
    if path.exists() and not os.access(path, os.W_OK):
        raise FileNotWritable(str(path), "le fichier est en lecture seule")
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise _not_written(path, exc) from exc
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise _not_written(path, exc) from exc
    return path
