"""``create_app(settings)``: the FastAPI application. Nothing runs at import."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

from netra_backend.app.agents.registry import AgentRegistry
from netra_backend.app.auth import router as auth_router
from netra_backend.app.catalog import router as catalog_router
from netra_backend.app.config import Settings
from netra_backend.app.http_errors import install_error_handlers
from netra_backend.app.http_limits import BodyLimitMiddleware
from netra_backend.app.metrics_route import METRICS_PATH, metrics_endpoint
from netra_backend.app.services import Services
from netra_backend.app.websocket_core.route import websocket_endpoint

WEB_DIR = Path(__file__).parent / "web"
# Swagger UI's files from an installed package, so /docs works without internet (FastAPI's
# default page loads them from a CDN).
DOCS_ASSETS_DIR = Path(fastapi_offline.__file__).parent / "static"
# The page loads only its own files and talks only to its own origin (HTTP and WebSocket).
PAGE_CSP = "default-src 'self'; connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'"


def create_app(
    settings: Settings | None = None, *, registry: AgentRegistry | None = None
) -> FastAPI:
    """Build the app; services start with the ASGI lifespan and stop with it.

    ``registry`` replaces the built-in agents (tests use it to run scripted agents).
    """
    settings = settings if settings is not None else Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = await Services.start(settings, registry)
        app.state.services = services
        try:
            yield
        finally:
            await services.close()

    app = FastAPI(title="Netra", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None)
    install_error_handlers(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.include_router(auth_router)
    app.include_router(catalog_router)
    app.add_api_websocket_route("/api/ws", websocket_endpoint)
    app.add_api_route(METRICS_PATH, metrics_endpoint, methods=["GET"], include_in_schema=False)

    @app.get("/api/health", tags=["health"])
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/", include_in_schema=False)
    async def chat_page() -> FileResponse:
        return FileResponse(WEB_DIR / "index.html", headers={"Content-Security-Policy": PAGE_CSP})

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title="Netra API",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/docs-assets/favicon.png",
        )

    app.mount("/static", StaticFiles(directory=WEB_DIR), name="static")
    app.mount("/docs-assets", StaticFiles(directory=DOCS_ASSETS_DIR), name="docs-assets")
    return app


def create_worker_app() -> FastAPI:
    """The app of one ``netra serve --workers N`` process: settings from the environment."""
    from netra_backend.app.http_protocol import uvicorn_options

    settings = Settings()
    uvicorn_options(settings)  # sets this process's HTTP head limits
    return create_app(settings)
