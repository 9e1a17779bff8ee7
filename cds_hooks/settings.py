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

    # Store
    database_url: str | None = None
    data_dir: Path = Path("var")

    # Logging
    log_level: str = "INFO"

    @field_validator("cors_origins", mode="before")
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

    @property
    def is_development(self) -> bool:
        return self.profile is Profile.development

    @cached_property
    def effective_database_url(self) -> str:
        """The configured database, or an SQLite file under `data_dir` (embedded, zero set-up)."""
        return self.database_url or f"sqlite:///{(self.data_dir / 'facial-twitch-cds.sqlite3').resolve()}"
