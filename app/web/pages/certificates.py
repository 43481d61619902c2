"""« Mes attestations »: the family's childcare tax certificates (« attestation de frais de garde », article 200
quater B of the tax code), one per year and structure with an eligible amount, each a PDF to download. The family
is the session's: a URL names a year and a structure, never a family."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ...services.documents.tax_certificate import tax_certificate_pdf
from ...services.errors import FutureYear, NothingEligible, UnknownEntity
from ...services.money.tax_certificates import certificate_choices
from ..dependencies import LoggedInFamily
from ..errors import problem
from ..rendering import page
from ..session import actor
from ..state import Portal

router = APIRouter()


@router.get("/attestations", response_class=HTMLResponse)
def certificates(request: Request, family_id: LoggedInFamily, state: Portal) -> Response:
    return page(
        request,
        "attestations.html",
        {"title": "Mes attestations", "choices": certificate_choices(state.db, family_id)},
    )


@router.get("/attestations/{year}/{structure_id}.pdf")
def certificate_pdf(
    request: Request, year: int, structure_id: int, family_id: LoggedInFamily, state: Portal
) -> Response:
    try:
        pdf = tax_certificate_pdf(state.db, actor(request, family_id), family_id, year, structure_id)
    except (NothingEligible, FutureYear, UnknownEntity) as exc:
        return problem(request, 404, "Pas d'attestation", str(exc))
    name = f"attestation-frais-de-garde-{year}.pdf"
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
