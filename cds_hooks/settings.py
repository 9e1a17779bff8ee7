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

from pydantic import AnyHttpUrl, BaseModel, Field, PrivateAttr, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from .outbound import DEVELOPMENT_FHIR_SERVERS, LOOPBACK_FHIR_SERVERS, valid_entry

SANDBOX_ISSUER = "https://sandbox.cds-hooks.org"
SANDBOX_JWKS_FILE = Path(__file__).parent / "keys" / "sandbox-jwks.json"


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"not valid JSON ({error.msg} at character {error.pos})") from None


def _checked_fhir_servers(value: list[str]) -> list[str]:
    bad = [entry for entry in value if not valid_entry(entry)]
    if bad:
        raise ValueError(
            f"not a FHIR server URL prefix (http(s)://host[:port|:*][/path], no userinfo, query or fragment): "
            f"{', '.join(map(repr, bad))}"
        )
    return value


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
    fhir_servers: list[str] = Field(
        default_factory=list,
        description="URL prefixes of the FHIR servers this issuer's fhirAuthorization token may be sent to "
        "(empty: fallback fetches refused).",
    )

    @field_validator("fhir_servers")
    @classmethod
    def _usable_prefixes(cls, value: list[str]) -> list[str]:
        return _checked_fhir_servers(value)

    @model_validator(mode="after")
    def _exactly_one_key_source(self) -> TrustedIssuer:
        if (self.jwks is None) == (self.jwks_url is None):
            raise ValueError(f"trusted issuer {self.iss!r} needs exactly one of 'jwks' or 'jwks_url'")
        if self.jwks is not None and not isinstance(self.jwks.get("keys"), list):
            raise ValueError(f"trusted issuer {self.iss!r}: 'jwks' must be a JWK Set with a 'keys' list")
        return self


class Settings(BaseSettings):
    """Service configuration. Each field is documented in README.md ("Settings")."""

    model_config = SettingsConfigDict(env_prefix="FTCDS_", extra="ignore", env_ignore_empty=True)  # VAR= is unset
    _issuers_from_profile: bool = PrivateAttr(default=False)

    profile: Profile = Profile.production

    # HTTP
    host: str = Field(default="127.0.0.1", description="Interface `serve` binds (0.0.0.0: every interface).")
    port: int = Field(default=8080, gt=0, lt=65536, description="TCP port `serve` listens on.")
    api_docs: bool | None = Field(
        default=None, description="Serve /docs and /redoc (assets bundled, no CDN); default: on in development only."
    )
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
    fhir_servers: Annotated[list[str] | None, NoDecode] = Field(
        default=None,
        description="With FTCDS_AUTH=off only: FHIR server URL prefixes fallback fetches may go to; default: "
        "loopback in development, none in production.",
    )
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
    site_knowledge: Path | None = Field(
        default=None, description="YAML file with each rule's mode (active, silent, off): see README, knowledge owners."
    )

    # Feedback-driven suppression (alert-fatigue control): days a rule stays quiet for a patient
    suppress_accepted_days: int = Field(default=30, ge=0)
    suppress_override_days: Annotated[dict[str, int], NoDecode] = Field(
        default_factory=dict,
        description="Days an override snoozes its rule, by reason code, replacing the knowledge's default for that "
                    "code (cards/knowledge/override-reasons.yaml); only codes the knowledge defines.",
    )
    suppress_dismissed_hours: int | None = Field(
        default=None, ge=0, le=720,
        description="Hours a dismissal without a reason snoozes its rule for the patient (unset: until the next UTC "
                    "midnight; 0: nothing; at most 720, a dismissal is meant to be short).",
    )

    feedback_max_items: int = Field(default=100, gt=0, le=10_000, description="Feedback items per request (413 above).")

    # Store
    database_url: str | None = None
    retention_days: int | None = Field(
        default=None, gt=0, description="Issued cards and feedback comments older than this are purged (unset: kept)."
    )
    data_dir: Path = Path("var")

    # Logging
    log_level: str = Field(default="INFO", description="DEBUG, INFO, WARNING, ERROR or CRITICAL.")

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
        return level

    @field_validator("fhir_servers")
    @classmethod
    def _usable_open_prefixes(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _checked_fhir_servers(value)

    @field_validator("cors_origins", "trusted_proxies", "fhir_servers", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            return _json(text) if text.startswith("[") else [o.strip() for o in text.split(",") if o.strip()]
        return value

    @field_validator("trusted_issuers", "suppress_override_days", mode="before")
    @classmethod
    def _parse_json(cls, value: Any) -> Any:
        return _json(value) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _apply_profile(self) -> Settings:
        if self.profile is Profile.development and "trusted_issuers" not in self.model_fields_set:
            sandbox_jwks = json.loads(SANDBOX_JWKS_FILE.read_text())
            self.trusted_issuers = [
                TrustedIssuer(iss=SANDBOX_ISSUER, jwks=sandbox_jwks, fhir_servers=list(DEVELOPMENT_FHIR_SERVERS))
            ]
            self._issuers_from_profile = True
        if self.fhir_servers is None:
            self.fhir_servers = list(LOOPBACK_FHIR_SERVERS) if self.profile is Profile.development else []
        return self

    @property
    def issuers_from_profile(self) -> bool:
        """True when the trusted issuers are the development defaults, not configured."""
        return self._issuers_from_profile

    def startup_problems(self) -> list[str]:
        """What stops this configuration from serving safely, one line each naming the variable (empty: fine).

        Production with authentication needs a trusted issuer (else every call is refused while the service looks
        ready) and a public base URL (else the expected JWT `aud` comes from the caller's Host header, so a token
        minted for another service is accepted by anyone who sends that service's Host). A shared database needs
        the id-hash secret (every instance must hash patient ids alike), checked before any migration runs.
        """
        problems = []
        if self.profile is Profile.production and self.auth is AuthMode.required:
            if not self.trusted_issuers:
                problems.append(
                    "FTCDS_TRUSTED_ISSUERS is empty: in production no EHR could call this service (example: "
                    "FTCDS_TRUSTED_ISSUERS='[{\"iss\": \"https://ehr.example.org\", \"jwks_url\": "
                    "\"https://ehr.example.org/.well-known/jwks.json\"}]')"
                )
            if self.public_base_url is None:
                problems.append(
                    "FTCDS_PUBLIC_BASE_URL is required in production: JWT audiences are checked against it, never "
                    "against the Host header a caller sends (example: FTCDS_PUBLIC_BASE_URL=https://cds.example.org)"
                )
        if self.database_url and self.id_hash_secret is None:
            problems.append(
                "FTCDS_ID_HASH_SECRET must be set when FTCDS_DATABASE_URL is: every instance sharing the database "
                "must hash patient ids with the same key (example: FTCDS_ID_HASH_SECRET=$(openssl rand -hex 32))"
            )
        return problems

    def check_startable(self) -> None:
        if problems := self.startup_problems():
            raise UnsafeConfiguration("; ".join(problems))

    @property
    def serves_api_docs(self) -> bool:
        return self.api_docs if self.api_docs is not None else self.is_development

    @property
    def is_development(self) -> bool:
        return self.profile is Profile.development

    @cached_property
    def effective_database_url(self) -> str:
        """The configured database, or an SQLite file under `data_dir` (embedded, zero set-up)."""
        return self.database_url or f"sqlite:///{(self.data_dir / 'facial-twitch-cds.sqlite3').resolve()}"
