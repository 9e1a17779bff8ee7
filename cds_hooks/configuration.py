"""Settings as an operator meets them: every bad value is one line naming the variable, and one line sums up what
is running.

`load_settings` turns pydantic's validation report into `ConfigurationError` lines of the form
`FTCDS_PORT='eighty': must be an integer (example: FTCDS_PORT=8080)`, never showing a secret's value; what a
valid configuration still lacks to serve is `Settings.startup_problems`. `summary` is the one start-up log line.
"""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr, ValidationError
from pydantic_settings import SettingsError

from .settings import Settings

ENV_PREFIX = "FTCDS_"
_SHOWN_VALUE_CHARS = 60
# Examples for settings whose default says nothing useful (None, or a structure).
_EXAMPLES = {
    "public_base_url": "https://cds.example.org",
    "trusted_issuers": '\'[{"iss": "https://ehr.example.org", "jwks_url": "https://ehr.example.org/jwks.json"}]\'',
    "trusted_proxies": "10.0.0.5,10.0.0.6",
    "cors_origins": "https://ehr.example.org",
    "suppress_override_days": '\'{"patient-declined": 60}\'',
    "suppress_dismissed_hours": "8",
    "database_url": "postgresql://cds@db.example.org/cds",
    "retention_days": "365",
    "admin_token": "$(openssl rand -hex 32)",
    "id_hash_secret": "$(openssl rand -hex 32)",
    "api_docs": "false",
}


class ConfigurationError(Exception):
    """The settings cannot start the service; `lines` says why, one problem per line."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


def _example(field: str) -> str:
    if field in _EXAMPLES:
        return _EXAMPLES[field]
    info = Settings.model_fields.get(field)
    default = info.default if info is not None else None
    if hasattr(default, "value"):
        return str(default.value)  # an enum member
    return str(default).lower() if isinstance(default, bool) else str(default)


def _shown(field: str, value: Any) -> str:
    info = Settings.model_fields.get(field)
    if info is not None and info.annotation in (SecretStr, SecretStr | None):
        return "(secret, not shown)"
    text = repr(value) if isinstance(value, str) else repr(str(value))
    return text if len(text) <= _SHOWN_VALUE_CHARS else text[: _SHOWN_VALUE_CHARS - 4] + "...'"


def _lines(error: ValidationError) -> list[str]:
    lines = []
    for issue in error.errors(include_url=False):
        location = issue["loc"]
        field = str(location[0]) if location else ""
        if field not in Settings.model_fields:
            lines.append(issue["msg"].removeprefix("Value error, "))
            continue
        where = ".".join(str(part) for part in location[1:])
        problem = issue["msg"].removeprefix("Value error, ")
        problem = f"{where}: {problem}" if where else problem
        name = ENV_PREFIX + field.upper()
        lines.append(f"{name}={_shown(field, issue.get('input'))}: {problem} (example: {name}={_example(field)})")
    return lines


def load_settings() -> Settings:
    """Settings from the environment, refused with one line per bad value."""
    try:
        settings = Settings()
    except ValidationError as error:
        raise ConfigurationError(_lines(error)) from error
    except SettingsError as error:  # a structured value that is not JSON
        field = str(error).split('"')[1] if '"' in str(error) else ""
        name = ENV_PREFIX + field.upper()
        raise ConfigurationError([f"{name}: not valid JSON (example: {name}={_example(field)})"]) from error
    return settings


def summary(settings: Settings) -> dict[str, Any]:
    """The effective configuration in one log record: what runs, never a secret."""
    return {
        "profile": settings.profile.value,
        "auth": settings.auth.value,
        "issuers": [issuer.iss for issuer in settings.trusted_issuers],
        "public_base_url": str(settings.public_base_url) if settings.public_base_url else None,
        "store": settings.effective_database_url.split(":", 1)[0],
        "request_budget_ms": settings.request_budget_ms,
        "fetch_timeout_ms": settings.fetch_timeout_ms,
        "max_body_bytes": settings.max_body_bytes,
        "fetch_max_entries": settings.fetch_max_entries,
        "lab_recency_days": settings.lab_recency_days,
        "api_docs": settings.serves_api_docs,
        "admin_token": settings.admin_token is not None,
        "id_hash_secret": "configured" if settings.id_hash_secret is not None else "file in data_dir",
        "log_level": settings.log_level,
    }
