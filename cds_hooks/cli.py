"""`facial-twitch-cds` command line: serve, print the discovery document, evaluate a request without a server."""

from __future__ import annotations

import asyncio
import getpass
import logging
import multiprocessing
import os
import shutil
import sys
import traceback
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Annotated

import httpx
import orjson
import typer
import uvicorn
from sqlalchemy.exc import SQLAlchemyError

from cards import Knowledge, load_knowledge
from cards.catalogue import as_text, build_catalogue, catalogue_document, shared_sentences
from cards.knowledge_files import KnowledgeFileError
from cards.site import SiteKnowledgeError

from .configuration import ConfigurationError, load_settings
from .dev_token import mint
from .engine import CdsEngine, HookResult
from .errors import CdsError
from .feedback_loop import override_problems
from .logs import configure_logging
from .metrics import MULTIPROCESS_ENV
from .models import Card
from .private_files import private_directory
from .settings import Settings
from .store import Store

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)

_INDICATOR_MARK = {"critical": "!!", "warning": "! ", "info": "i "}


@cache
def _knowledge(site_file: Path | None) -> Knowledge:
    """The knowledge with the site's rule modes, read once per command."""
    return load_knowledge().load_site(site_file)


def _engine(settings: Settings, http: httpx.AsyncClient, today: date | None = None) -> CdsEngine:
    return CdsEngine.create(settings, _knowledge(settings.site_knowledge), http, today=today)


def _settings(*, serving: bool = False) -> Settings:
    """The settings, or one line per problem on stderr and exit status 2 (a traceback only at DEBUG)."""
    failure: Exception | None = None
    try:
        settings = load_settings()
        knowledge = _knowledge(settings.site_knowledge)  # every command honours (and checks) the site file
        lines = [*settings.startup_problems(), *override_problems(settings, knowledge.override_reasons)] \
            if serving else []
    except ConfigurationError as error:
        failure, lines = error, error.lines
    except SiteKnowledgeError as error:
        failure, lines = error, [f"FTCDS_SITE_KNOWLEDGE: {error}"]
    except KnowledgeFileError as error:
        failure, lines = error, [f"knowledge: {error}"]
    if not lines:
        return settings
    for line in lines:
        typer.echo(f"facial-twitch-cds: configuration: {line}", err=True)
    if failure is not None and os.environ.get("FTCDS_LOG_LEVEL", "").strip().upper() == "DEBUG":
        traceback.print_exception(failure)
    raise typer.Exit(code=2)


def _remove_dead_workers_metrics(data_dir: Path) -> None:
    """Multiprocess metrics folders of `serve` processes that are gone (a crash or a kill leaves them behind)."""
    for folder in data_dir.glob("prometheus-*"):
        pid = folder.name.removeprefix("prometheus-")
        if pid.isdigit() and not _running(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind (default: FTCDS_HOST, else 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="TCP port (default: FTCDS_PORT, else 8080).")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes; /metrics adds them all up.")] = 1,
) -> None:
    """Serve the CDS Hooks endpoints with uvicorn.

    With --workers N each worker counts into a shared folder `prometheus-<pid>` under FTCDS_DATA_DIR; folders left
    by processes that are gone are removed at start-up.
    """
    settings = _settings(serving=True)
    configure_logging(settings.log_level)
    _remove_dead_workers_metrics(settings.data_dir.resolve())
    upgrade_schema_in_child(settings.effective_database_url)
    if workers > 1 and MULTIPROCESS_ENV not in os.environ:
        # Each worker counts on its own; a shared directory lets /metrics add every worker's numbers up.
        metrics_dir = settings.data_dir.resolve() / f"prometheus-{os.getpid()}"
        shutil.rmtree(metrics_dir, ignore_errors=True)
        private_directory(metrics_dir.parent)  # a data dir made here by `mkdir(parents=True)` would be 0755
        metrics_dir.mkdir()
        os.environ[MULTIPROCESS_ENV] = str(metrics_dir)
    uvicorn.run(
        "cds_hooks.asgi:app",
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        log_config=None,
        http="cds_hooks.server_protocol:GuardedH11Protocol",
        h11_max_incomplete_event_size=settings.max_header_bytes,
        timeout_keep_alive=settings.keep_alive_seconds,
        # Forwarded headers say who called and which host: believed only from the proxies we were told about.
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=settings.trusted_proxies or None,
        server_header=False,
    )


def upgrade_schema_in_child(database_url: str) -> None:
    """Bring the store's schema up to date in a forked child before uvicorn starts, so that no serving process
    loads Alembic (about 10 MB in each): every worker's own start-up check then finds the schema current. A store
    that cannot be reached here, or a child that fails, leaves the migration and its error to that check."""
    store = Store.open(database_url)
    try:
        current = store.at_head()
    except SQLAlchemyError:
        return
    finally:
        store.close()
    if not current:
        child = multiprocessing.get_context("fork").Process(target=_upgrade, args=(database_url,),
                                                            name="schema-upgrade")
        child.start()
        child.join()


def _upgrade(database_url: str) -> None:
    store = Store.open(database_url)
    try:
        store.upgrade()
    finally:
        store.close()


@app.command()
def token(
    aud: Annotated[str | None, typer.Option(
        help="The exact URL you will call (default: http://FTCDS_HOST:FTCDS_PORT/cds-services/SERVICE).")] = None,
    service: Annotated[str, typer.Option(help="Service id for the default audience.")] = "patient-view",
    lifetime: Annotated[int, typer.Option(min=1, max=3600, help="Seconds until the token expires.")] = 300,
) -> None:
    """Print a bearer JWT the development profile accepts (fresh jti, short exp). Refused outside development."""
    settings = _settings()
    if not settings.is_development:
        typer.echo("facial-twitch-cds: token: only for the development profile (FTCDS_PROFILE=development); in "
                   "production tokens come from the EHR", err=True)
        raise typer.Exit(code=2)
    if not settings.issuers_from_profile:
        typer.echo("facial-twitch-cds: token: FTCDS_TRUSTED_ISSUERS is set, so the development issuer is not "
                   "trusted and its tokens would be refused", err=True)
        raise typer.Exit(code=2)
    base = str(settings.public_base_url or f"http://{settings.host}:{settings.port}").rstrip("/")
    typer.echo(mint(settings.data_dir, aud or f"{base}/cds-services/{service}", lifetime_seconds=lifetime))


@app.command()
def rules(as_json_: Annotated[bool, typer.Option("--json", help="The catalogue as JSON.")] = False) -> None:
    """The rule catalogue: every rule, what it fires on and reads (codes with displays), its mode and its golden
    scenarios; generated from the knowledge and site file that would run."""
    settings = _settings()
    knowledge = _knowledge(settings.site_knowledge)
    entries = build_catalogue(knowledge)
    if as_json_:
        typer.echo(orjson.dumps(catalogue_document(knowledge, entries), option=orjson.OPT_INDENT_2).decode())
    else:
        typer.echo(f"Knowledge {knowledge.version}\n\n" + as_text(entries, shared_sentences(knowledge)))


@app.command()
def discovery() -> None:
    """Print the discovery document (`GET /cds-services`)."""
    settings = _settings()

    async def build() -> bytes:
        async with httpx.AsyncClient() as http:
            return orjson.dumps(_engine(settings, http).discovery().model_dump(exclude_none=True),
                                option=orjson.OPT_INDENT_2)

    sys.stdout.write(asyncio.run(build()).decode() + "\n")


def _format_card(card: Card) -> str:
    lines = [f"[{_INDICATOR_MARK[card.indicator]}] {card.indicator.upper()}: {card.summary}"]
    if card.source.topic:
        lines.append(f"    rule: {card.source.topic.code}   source: {card.source.label}")
    if card.detail:
        lines += ["    " + line for line in card.detail.splitlines()]
    for suggestion in card.suggestions or []:
        lines.append(f"    -> suggestion: {suggestion.label}")
    for link in card.links or []:
        lines.append(f"    -> link: {link.label} <{link.url}>")
    return "\n".join(lines)


def _scenario_today(path: Path) -> date | None:
    """A fixture scenario pins the date its data was written for, so its labs never go stale."""
    expected = path / "expected.json"
    if path.is_dir() and expected.exists():
        pinned = orjson.loads(expected.read_bytes()).get("today")
        return date.fromisoformat(pinned) if pinned else None
    return None


@app.command()
def evaluate(
    request_path: Annotated[
        Path, typer.Argument(exists=True, help="A hook request JSON file, or a fixture scenario folder.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the raw CDS Hooks response.")] = False,
    service: Annotated[str | None, typer.Option(help="Service id (default: the request's hook).")] = None,
    today: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Clinical 'today' (default: the scenario's, else now).")
    ] = None,
) -> None:
    """Run one hook request in-process (no server) and print its cards."""
    body = (request_path / "request.json" if request_path.is_dir() else request_path).read_bytes()
    settings = _settings()
    pinned = today.date() if today else _scenario_today(request_path) or date.today()

    async def run() -> HookResult:
        async with httpx.AsyncClient() as http:
            engine = _engine(settings, http, today=pinned)
            target = engine.service(service or _hook_of(body))
            call = engine.parse(target, body)
            return await engine.run(call, base_url=str(settings.public_base_url or "http://127.0.0.1:8080"))

    try:
        result = asyncio.run(run())
    except CdsError as error:
        typer.echo(orjson.dumps(error.operation_outcome(), option=orjson.OPT_INDENT_2).decode(), err=True)
        raise typer.Exit(code=2) from None
    if as_json:
        response = result.response.model_dump(exclude_none=True)
        typer.echo(orjson.dumps(response, option=orjson.OPT_INDENT_2).decode())
    elif result.response.cards:
        typer.echo("\n\n".join(_format_card(card) for card in result.response.cards))
    else:
        typer.echo("No cards (the service stays silent for this request).")


def _hook_of(body: bytes) -> str:
    """The `hook` named in a request body, to pick the service; an unreadable body fails later with a clear 400."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return "patient-view"
    hook = data.get("hook") if isinstance(data, dict) else None
    return hook if isinstance(hook, str) else "patient-view"


feedback_commands = typer.Typer(no_args_is_help=True, help="Clinicians' feedback, for reviewers.")
app.add_typer(feedback_commands, name="feedback")
audit = logging.getLogger("cds_hooks.audit")


@feedback_commands.command("export")
def feedback_export(
    rule: Annotated[str, typer.Option(help="Rule id, e.g. electrolyte.magnesium.low.")],
    start: Annotated[datetime, typer.Option(formats=["%Y-%m-%d"], help="First day (UTC).")],
    end: Annotated[datetime, typer.Option(formats=["%Y-%m-%d"], help="Last day (UTC), inclusive.")],
) -> None:
    """Print the override comments on one rule's cards for a period, as JSON lines, for a review committee.

    Comments may contain PHI: they are never logged or shown on the dashboard, and every export is written to the
    audit log (who, which rule and period, how many), never with the comments. Whoever can run this can read the
    database: it is an administrator's command.
    """
    settings = _settings()
    configure_logging(settings.log_level)
    if rule not in {r.rule_id for r in load_knowledge().rules()}:
        typer.echo(f"facial-twitch-cds: feedback export: no rule {rule!r} (see `facial-twitch-cds rules`)", err=True)
        raise typer.Exit(code=2)
    store = Store.open(settings.effective_database_url)
    try:
        store.upgrade()
        rows = store.feedback_comments(rule, start.replace(tzinfo=UTC), end.replace(tzinfo=UTC) + timedelta(days=1))
    finally:
        store.close()
    audit.warning("feedback export", extra={"fields": {
        "user": getpass.getuser(), "rule": rule, "start": start.date().isoformat(), "end": end.date().isoformat(),
        "comments": len(rows)}})
    for row in rows:
        typer.echo(orjson.dumps(row).decode())


database = typer.Typer(no_args_is_help=True, help="The store's schema (SQLite file or PostgreSQL).")
app.add_typer(database, name="db")


@database.command("upgrade")
def database_upgrade() -> None:
    """Migrate the store to the newest schema (the server also does this at start-up)."""
    _upgrade(_settings().effective_database_url)
    typer.echo("store schema is up to date")


@database.command("purge")
def database_purge(
    older_than: Annotated[
        int | None, typer.Option("--older-than", min=1, help="Days to keep (default: FTCDS_RETENTION_DAYS).")
    ] = None,
) -> None:
    """Forget issued cards and feedback comments older than the retention period, and ended JWT id claims."""
    settings = _settings()
    days = older_than or settings.retention_days
    if days is None:
        typer.echo("give --older-than DAYS or set FTCDS_RETENTION_DAYS", err=True)
        raise typer.Exit(code=2)
    store = Store.open(settings.effective_database_url)
    try:
        store.upgrade()
        purged = store.purge(datetime.now(UTC) - timedelta(days=days))
    finally:
        store.close()
    typer.echo(
        f"purged {purged.issued_cards} issued cards, {purged.feedback_comments} feedback comments and "
        f"{purged.jwt_ids} ended JWT id claims older than {days} days"
    )


def main() -> None:
    app()
