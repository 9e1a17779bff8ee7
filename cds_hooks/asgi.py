"""ASGI entry point for uvicorn workers: settings come from the environment (`FTCDS_*`)."""

from .app import create_app

app = create_app()
