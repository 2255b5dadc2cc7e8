"""What a route may depend on, as `Annotated` aliases: the only place that reads `app.state`.

    async def view(uow: UowDep, settings: SettingsDep, catalog: Provided[ProgramCatalog]) -> ...

Routes never reach into the application object; use cases receive these explicitly.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from shared.broker import Publisher
from shared.clock import Clock
from shared.runtime import Runtime
from shared.settings import Settings
from shared.uow import UnitsOfWork

T = TypeVar("T")


def runtime_of(request: Request) -> Runtime:
    """The runtime, for what runs before FastAPI resolves dependencies (a door's check before the
    body is read, shared.http.doors)."""
    return request.app.state.runtime


# async: a plain def dependency would hop to the thread pool on every request.
async def get_runtime(request: Request) -> Runtime:
    return runtime_of(request)


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_uow(runtime: RuntimeDep) -> UnitsOfWork:
    return runtime.uow


async def get_settings(runtime: RuntimeDep) -> Settings:
    return runtime.settings


async def get_clock(runtime: RuntimeDep) -> Clock:
    return runtime.clock


async def get_publisher(runtime: RuntimeDep) -> Publisher:
    return runtime.publisher


async def get_session(uow: Annotated[UnitsOfWork, Depends(get_uow)]) -> AsyncIterator[AsyncSession]:
    """A read-only session for queries (writes go through a use case's unit of work)."""
    async with uow.read() as session:
        yield session


UowDep = Annotated[UnitsOfWork, Depends(get_uow)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
ClockDep = Annotated[Clock, Depends(get_clock)]
PublisherDep = Annotated[Publisher, Depends(get_publisher)]
SessionDep = Annotated[AsyncSession, Depends(get_session)]

_providers: dict[type, Any] = {}


class Provided:
    """`Provided[ProgramCatalog]`: the singleton the service's app.py gave `runtime.provide()`."""

    def __class_getitem__(cls, kind: type[T]) -> Any:
        if kind not in _providers:

            async def provide(runtime: RuntimeDep) -> Any:
                return runtime.provided(kind)

            _providers[kind] = Depends(provide)
        return Annotated[kind, _providers[kind]]
