"""A programme's causes (its taxonomy, role admin to change) and re-analysis of its stored comments."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from shared.http.auth import Admin, Reader
from shared.http.deps import Provided, SessionDep, UowDep
from shared.http.doors import MIB, body_limit
from services.scoring import queries, service
from services.scoring.analysis import Analysis
from services.scoring.api.schemas import CauseChange, CauseIn, ReanalysisOut, TaxonomyIn, TaxonomyOut
from services.scoring.domain import taxonomies
from services.scoring.reanalysis import Reanalyser

router = APIRouter(tags=["comment analysis"])

Program = Annotated[str, Path(min_length=1, max_length=64)]
CauseKey = Annotated[str, Path(min_length=1, max_length=40)]
# A whole taxonomy: up to 100 causes with up to 500 cues per language.
TAXONOMY_BODY_LIMIT = 2 * MIB
ERRORS = {
    404: {"description": "unknown programme or cause"},
    409: {"description": "changed concurrently (read and retry), or the cause exists already"},
    422: {"description": "invalid taxonomy (problem+json naming the field)"},
}


def _view(program: str, taxonomy, row) -> dict:
    return {
        "program": program,
        **taxonomy.to_dict(),
        "updated_at": row.updated_at if row else None,
        "updated_by": row.updated_by if row else None,
    }


@router.get("/v1/programs/{program}/taxonomy", response_model=TaxonomyOut, responses=ERRORS)
async def get_taxonomy(program: Program, session: SessionDep, _: Reader) -> dict:
    """The causes comments of this programme are tagged with: the default ten until an admin
    changes them, retired ones included (`retired: true`: kept for history, no longer tagged)."""
    await queries.existing_program(session, program)
    return _view(program, *await queries.taxonomy(session, program))


async def _changed(uow, program: str, edit, who: str) -> dict:
    return _view(program, *await service.change_taxonomy(uow, program, edit, who))


@router.put(
    "/v1/programs/{program}/taxonomy",
    response_model=TaxonomyOut,
    responses=ERRORS,
    dependencies=[body_limit(TAXONOMY_BODY_LIMIT)],
)
async def put_taxonomy(program: Program, body: TaxonomyIn, uow: UowDep, who: Admin) -> dict:
    """Replace the whole taxonomy. It tags the comments scored from now on; re-analyse to bring
    the stored ones up to date."""
    return await _changed(uow, program, partial(taxonomies.replace, body=body.model_dump()), who.who)


@router.post(
    "/v1/programs/{program}/taxonomy/causes",
    response_model=TaxonomyOut,
    responses=ERRORS,
    status_code=status.HTTP_201_CREATED,
)
async def add_cause(program: Program, body: CauseIn, uow: UowDep, who: Admin) -> dict:
    """Add a cause (key, names and cue words per language); it works exactly like a default one."""
    return await _changed(uow, program, partial(taxonomies.add_cause, body=body.model_dump()), who.who)


@router.patch("/v1/programs/{program}/taxonomy/causes/{key}", response_model=TaxonomyOut, responses=ERRORS)
async def change_cause(program: Program, key: CauseKey, body: CauseChange, uow: UowDep, who: Admin) -> dict:
    """Rename a cause, change its cues, retire it (`{"retired": true}`) or bring it back."""
    edit = partial(taxonomies.change_cause, key=key, body=body.model_dump(exclude_none=True))
    return await _changed(uow, program, edit, who.who)


@router.post(
    "/v1/programs/{program}/taxonomy:reanalyze",
    response_model=ReanalysisOut,
    status_code=status.HTTP_202_ACCEPTED,
    responses={404: {"description": "unknown programme"}, 409: {"description": "comment analysis is off"}},
)
async def reanalyze(
    program: Program,
    response: Response,
    uow: UowDep,
    analysis: Provided[Analysis],
    worker: Provided[Reanalyser],
    who: Admin,
) -> dict:
    """Re-analyse every stored comment of the programme with its current taxonomy and analyzer,
    in the background, in batches (scoring goes on meanwhile). Follow it at the `Location`."""
    job = await service.start_reanalysis(uow, analysis, program, who.who, wake=worker.notify)
    response.headers["Location"] = f"/v1/reanalyses/{job['job_id']}"
    return job


@router.get("/v1/reanalyses/{job_id}", response_model=ReanalysisOut, responses={404: {"description": "unknown job"}})
async def get_reanalysis(
    job_id: Annotated[str, Path(min_length=1, max_length=40)], session: SessionDep, _: Admin
) -> dict:
    """A re-analysis's progress: `done` of `total` comments; `completed` at the end, `superseded`
    when a newer one for the programme took over."""
    return await queries.reanalysis(session, job_id)
