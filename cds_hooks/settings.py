"""Every knob of the service in one typed object, read from `FTCDS_*` environment variables.

Two profiles set the defaults that differ between a laptop and a hospital: `development` (what `make run` uses:
trusts the public CDS Hooks sandbox issuer, open analytics) and `production` (trusts nobody until configured,
admin token required). Explicit settings always win over the profile.
"""

from __future__ import annotations

import json
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any

from pydantic import AnyHttpUrl, BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

SANDBOX_ISSUER = "https://sandbox.cds-hooks.org"
SANDBOX_JWKS_FILE = Path(__file__).parent / "keys" / "sandbox-jwks.json"


class UnsafeConfiguration(RuntimeError):
    """A setting production cannot run without; the service refuses to start and says which."""


class Profile(StrEnum):
    development = "development"
    production = "production"


class AuthMode(StrEnum):
    required = "required"
    off = "off"


class TrustedIssuer(BaseModel):
    """An EHR allowed to call us: its `iss` and where its public keys come from (inline JWK Set or a JWKS URL)."""

    iss: str
    jwks: dict[str, Any] | None = None
    jwks_url: AnyHttpUrl | None = None

    @model_validator(mode="after")
    def _exactly_one_key_source(self) -> TrustedIssuer:
        if (self.jwks is None) == (self.jwks_url is None):
            raise ValueError(f"trusted issuer {self.iss!r} needs exactly one of 'jwks' or 'jwks_url'")
        if self.jwks is not None and not isinstance(self.jwks.get("keys"), list):
            raise ValueError(f"trusted issuer {self.iss!r}: 'jwks' must be a JWK Set with a 'keys' list")
        return self


class Settings(BaseSettings):
    """Service configuration. Each field is documented in README.md ("Settings")."""

    model_config = SettingsConfigDict(env_prefix="FTCDS_", extra="ignore")

    profile: Profile = Profile.production

    # HTTP
    public_base_url: AnyHttpUrl | None = Field(
        default=None, description="External base URL behind a proxy; JWT `aud` is checked against it."
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["*"])
    max_body_bytes: int = Field(default=5_000_000, gt=0)
    body_timeout_seconds: float = Field(default=10.0, gt=0, description="Time to receive a request body (408 after).")
    max_header_bytes: int = Field(default=32_768, ge=8_192, description="Largest request line and headers (`serve`).")
    header_timeout_seconds: float = Field(default=10.0, gt=0, description="Time to send a request head (`serve`).")
    keep_alive_seconds: int = Field(default=5, gt=0, description="Idle keep-alive connections close after this.")
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Addresses whose X-Forwarded-* headers are believed (`serve`)."
    )
    max_json_depth: int = Field(
        default=64, gt=0, le=1000, description="Deepest nesting of objects and arrays accepted in a request body."
    )
    max_json_string_chars: int = Field(
        default=100_000, gt=0, description="Longest string (key or value) accepted anywhere in a request body."
    )

    # Security
    auth: AuthMode = AuthMode.required
    trusted_issuers: Annotated[list[TrustedIssuer], NoDecode] = Field(default_factory=list)
    discovery_requires_auth: bool = False
    jwt_leeway_seconds: int = Field(default=30, ge=0, le=300)
    jwt_max_lifetime_seconds: int = Field(default=3600, gt=0, le=3600)
    jwks_cache_seconds: int = Field(default=3600, gt=0)
    admin_token: SecretStr | None = None
    id_hash_secret: SecretStr | None = Field(
        default=None, description="Key for the HMAC of patient and user ids in logs and the store."
    )

    # FHIR fallback fetching
    request_budget_ms: int = Field(default=400, gt=0, description="Whole-request budget for one hook call.")
    fetch_timeout_ms: int = Field(default=300, gt=0, description="Deadline for all fallback fetches together.")
    fetch_max_pages: int = Field(default=5, gt=0)
    fetch_max_entries: int = Field(default=5000, gt=0)
    fetch_max_response_bytes: int = Field(default=20_000_000, gt=0)
    fetch_max_request_bytes: int = Field(
        default=40_000_000, gt=0, description="Bytes all fallback fetches of one hook call may read together."
    )

    # Clinical knowledge
    lab_recency_days: int = Field(default=90, gt=0)

    # Feedback-driven suppression (alert-fatigue control): days a rule stays quiet for a patient
    suppress_accepted_days: int = Field(default=30, ge=0)
    suppress_override_days: Annotated[dict[str, int], NoDecode] = Field(
        default_factory=lambda: {"already-addressed": 30, "patient-declined": 90, "not-relevant": 180, "disagree": 0}
    )

    feedback_max_items: int = Field(default=100, gt=0, le=10_000, description="Feedback items per request (413 above).")

    # Store
    database_url: str | None = None
    retention_days: int | None = Field(
        default=None, gt=0, description="Issued cards and feedback comments older than this are purged (unset: kept)."
    )
    data_dir: Path = Path("var")

    # Logging
    log_level: str = "INFO"

    @field_validator("cors_origins", "trusted_proxies", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            return json.loads(text) if text.startswith("[") else [o.strip() for o in text.split(",") if o.strip()]
        return value

    @field_validator("trusted_issuers", "suppress_override_days", mode="before")
    @classmethod
    def _parse_json(cls, value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _apply_profile(self) -> Settings:
        if self.profile is Profile.development and "trusted_issuers" not in self.model_fields_set:
            sandbox_jwks = json.loads(SANDBOX_JWKS_FILE.read_text())
            self.trusted_issuers = [TrustedIssuer(iss=SANDBOX_ISSUER, jwks=sandbox_jwks)]
        return self

    def check_production_ready(self) -> None:
        """Refuse to start a production service whose JWT audience would come from the caller's Host header.

        Without `public_base_url` the expected `aud` is built from the request, so a token minted for another
        service is accepted by anyone who sends that service's Host. Development keeps deriving it (the sandbox
        calls whatever host it was given).
        """
        if self.profile is Profile.production and self.auth is AuthMode.required and self.public_base_url is None:
            raise UnsafeConfiguration(
                "FTCDS_PUBLIC_BASE_URL is required in production: JWT audiences are checked against it, "
                "never against the Host header a caller sends"
            )

    @property
    def is_development(self) -> bool:
        return self.profile is Profile.development

    @cached_property
    def effective_database_url(self) -> str:
        """The configured database, or an SQLite file under `data_dir` (embedded, zero set-up)."""
        return self.database_url or f"sqlite:///{(self.data_dir / 'facial-twitch-cds.sqlite3').resolve()}"
