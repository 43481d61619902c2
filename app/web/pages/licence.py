"""The licence, and the program's source offered to whoever uses it over the network (GPL 3 § 13 and the AGPL
headers of eopayment's files): open to anyone."""

from __future__ import annotations

import functools
import io
import tarfile
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ..rendering import page

router = APIRouter()
PACKAGE = Path(__file__).resolve().parents[2]
"""The ``app`` package."""


@router.get("/licence", response_class=HTMLResponse)
def licence(request: Request) -> Response:
    return page(request, "licence.html", {"title": "Licence et code source"})


@router.get("/licence/sources.tar.gz")
def sources() -> Response:
    return Response(
        source_archive(),
        media_type="application/gzip",
        headers={"Content-Disposition": 'attachment; filename="guichet-enfance-sources.tar.gz"'},
    )


@functools.cache
def source_archive() -> bytes:
    """This program's own source (the ``app`` package, its licence and its project file) as a .tar.gz."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path in sorted(PACKAGE.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                archive.add(path, arcname=f"guichet-enfance/app/{path.relative_to(PACKAGE)}")
        for extra in ("COPYING", "pyproject.toml", "README.md"):
            candidate = PACKAGE.parent / extra
            if candidate.is_file():
                archive.add(candidate, arcname=f"guichet-enfance/{extra}")
    return buffer.getvalue()
