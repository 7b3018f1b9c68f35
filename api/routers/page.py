"""The search page: GET / serves index.html, /static its script and style sheet."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
# The asset names carry no content hash, so browsers revalidate (ETag / Last-Modified) before reusing a copy.
CACHE_CONTROL = {"Cache-Control": "no-cache"}

router = APIRouter(include_in_schema=False)


class _RevalidatedFiles(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update(CACHE_CONTROL)
        return response


@router.get("/")
async def index() -> FileResponse:
    return FileResponse(STATIC_DIR / "index.html", headers=CACHE_CONTROL)


def mount_page(app: FastAPI) -> None:
    app.include_router(router)
    app.mount("/static", _RevalidatedFiles(directory=STATIC_DIR), name="static")
