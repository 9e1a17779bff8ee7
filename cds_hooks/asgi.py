"""ASGI entry point for uvicorn workers: settings come from the environment (`FTCDS_*`).

Each worker process imports this module afresh (uvicorn spawns them), so logging is configured here too: the
`serve` command's set-up lives in the parent process only, and a worker without it would print bare messages.
"""

from .app import create_app
from .logs import configure_logging
from .settings import Settings

settings = Settings()
configure_logging(settings.log_level)
app = create_app(settings)
