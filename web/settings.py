"""Deployment settings, read from MENTORCALL_* environment variables."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from ipaddress import ip_network
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from media.last_n import DEFAULT_LAST_N
from rooms.redis_client import RedisOptions
from rooms.roundtables.service import DEFAULT_GUESTS_PER_SEAT
from signaling.turn import TURN_SCHEMES, TurnConfig

PREFIX = "MENTORCALL_"
MIN_KEY_BYTES = 32
DEFAULT_PORTS = {"http": 80, "https": 443}


def split_list(value: str) -> tuple[str, ...]:
    """Comma-separated environment value → tuple of non-empty stripped items."""
    return tuple(item.strip() for item in value.split(",") if item.strip())


def origin_of(url: str) -> str:
    """The browser's ``Origin`` for pages under ``url``: ``scheme://host[:port]``, lower
    case, the scheme's default port left out (``https://Calls.example.org:443/x`` →
    ``https://calls.example.org``)."""
    parts = urlsplit(url.strip())
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if not scheme or not host:
        raise ValueError(f"not an absolute URL: {url!r}")
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    return f"{scheme}://{host}" if port in (None, DEFAULT_PORTS.get(scheme)) else (
        f"{scheme}://{host}:{port}")


def split_bind(value: str) -> tuple[str, int]:
    """``"host:port"``, ``"[v6]:port"`` or ``"port"`` (loopback) → (host, port); port 0
    takes a free one."""
    host, sep, port = value.strip().rpartition(":")
    host = host.strip("[]") if sep else "127.0.0.1"
    if not port.isdigit() or int(port) > 65535 or (sep and not host):
        raise ValueError("MENTORCALL_METRICS_BIND must be host:port (or a port)")
    return host, int(port)


class Settings(BaseModel):
    """Everything a deployment can change. Defaults: loopback only, in-memory store."""

    # Errors never echo the values given: they may be keys or secrets.
    model_config = ConfigDict(frozen=True, hide_input_in_errors=True)

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    public_url: str = ""  # base of join links; default http://host:port
    redis_url: str = ""  # empty: the embedded in-memory store
    node_id: str = Field(default="", max_length=64, pattern=r"^[A-Za-z0-9._:-]*$")
    # /metrics on a listener of its own, without the admin key: "host:port" or "port"
    # (loopback then); empty: /metrics on the main listener, behind the admin key
    metrics_bind: str = ""
    redis_max_connections: int = Field(default=64, ge=1, le=10_000)  # one pool per process
    redis_timeout_s: float = Field(default=2.0, gt=0, le=60)  # connect/read of a command
    redis_pool_timeout_s: float = Field(default=10.0, gt=0, le=120)  # wait for a connection
    data_dir: Path = Path(".mentorcall")  # secret and admin key files when not given
    recordings_dir: Path = Path("recordings")  # recording files (written here first)
    recording_retention_days: int = Field(default=90, ge=0, le=36_500)  # 0: keep forever
    recording_link_ttl_s: int = Field(default=300, ge=10, le=24 * 3600)  # signed downloads
    # The recordings admin page's session cookie (docs/recordings-api.md).
    admin_session_ttl_s: int = Field(default=1800, ge=60, le=12 * 3600)
    admin_cookie_secure: Literal["auto", "always", "never"] = "auto"  # auto: https only
    admin_signin_burst: int = Field(default=5, ge=1)  # sign-in attempts per client address
    admin_signin_per_min: float = Field(default=5.0, gt=0)
    # Proxies (networks) whose X-Forwarded-For names the client (docs/operations.md): the
    # sign-in limit and the audit log then see the client's address, not the proxy's.
    trusted_proxies: tuple[str, ...] = ()
    # An S3-compatible object store for finished recording files (empty bucket: folder only).
    recordings_s3_bucket: str = ""
    recordings_s3_endpoint: str = ""  # empty: the provider's default endpoint
    recordings_s3_region: str = "us-east-1"
    recordings_s3_access_key: str = ""  # empty: the SDK's usual credential chain
    recordings_s3_secret_key: str = ""
    recordings_s3_prefix: str = "recordings/"
    # The composed file of each recording (a child process per job, one at a time).
    composition_enabled: bool = True
    composition_width: int = Field(default=1280, ge=64, le=3840, multiple_of=4)
    composition_height: int = Field(default=720, ge=64, le=2160, multiple_of=4)
    composition_fps: int = Field(default=30, ge=1, le=60)
    composition_nice: int = Field(default=10, ge=0, le=19)  # the child's priority drop
    composition_attempts: int = Field(default=3, ge=1, le=20)  # failures before failed
    secret: str = ""  # token signing key; empty: read or create data_dir/secret
    admin_key: str = ""  # REST admin key; empty: read or create data_dir/admin_key
    ice_hosts: tuple[str, ...] = ("127.0.0.1",)
    ice_allowed_networks: tuple[str, ...] = ("127.0.0.0/8", "::1/128")
    ice_servers: tuple[str, ...] = ()  # STUN URLs for the server and its clients
    # TURN servers handed to clients, each join with its own time-limited credential
    # (coturn's REST-API shared-secret scheme, docs/operations.md "TURN")
    turn_urls: tuple[str, ...] = ()
    turn_secret: str = Field(default="", repr=False)  # shared with the TURN server
    turn_ttl_s: int = Field(default=3600, ge=60, le=7 * 24 * 3600)
    last_n: int = Field(default=DEFAULT_LAST_N, ge=1, le=50)  # roundtable video slots
    # identities a roundtable's shareable link mints, per seat of the room
    share_guests_per_seat: int = Field(default=DEFAULT_GUESTS_PER_SEAT, ge=1, le=100)
    disconnect_grace_s: float = Field(default=10.0, ge=0, le=300)
    presence_interval_s: float = Field(default=5.0, gt=0, le=60)  # seat lease renewal/sweep
    # Engine.IO heartbeat: a silent connection is closed after interval + timeout
    socket_ping_interval_s: float = Field(default=10.0, gt=0, le=120)
    socket_ping_timeout_s: float = Field(default=10.0, gt=0, le=120)
    # a subscribe connection whose first offer is unanswered this long is closed
    subscriber_answer_timeout_s: float = Field(default=30.0, gt=0, le=600)
    default_duration_min: int = Field(default=30, ge=5, le=240)
    join_early_s: int = Field(default=300, ge=0)  # links work this long before the start
    notes_max_bytes: int = Field(default=1024 * 1024, ge=1024, le=64 * 1024 * 1024)  # per doc
    notes_compact_updates: int = Field(default=200, ge=1)  # fold the log into a snapshot
    webhook_url: str = ""  # empty: no webhooks
    webhook_secret: str = ""  # HMAC key of the webhook signatures; required with a URL
    webhook_backoff_s: float = Field(default=1.0, ge=0, le=60)  # first retry delay, doubling
    reminder_minutes: int = Field(default=15, ge=1, le=7 * 24 * 60)  # webhook before a session
    # This process as a node of the deployment (docs/operations.md, "Several nodes").
    # off: every process serves every room it is asked for (several processes then need a
    # proxy that sends a room's people to one process); on (default) with Redis: placement
    room_placement: bool = True
    node_url: str = ""  # the URL clients reach this node at (`moved`); "": the bind address
    node_max_rooms: int = Field(default=500, ge=1, le=100_000)  # rooms placed here at most
    node_heartbeat_s: float = Field(default=1.0, gt=0, le=60)
    node_lease_s: float = Field(default=3.0, gt=0, le=600)  # lapsed: its rooms move
    drain_deadline_s: float = Field(default=30.0, ge=0, le=3600)  # SIGTERM: longest drain
    # Per person (and per pair for bookings), per process: token buckets (docs/operations.md).
    slot_search_burst: int = Field(default=10, ge=1)
    slot_search_per_min: float = Field(default=30.0, gt=0)
    booking_burst: int = Field(default=20, ge=1)
    booking_per_hour: float = Field(default=60.0, gt=0)
    pair_booking_burst: int = Field(default=5, ge=1)
    pair_booking_per_hour: float = Field(default=20.0, gt=0)

    @field_validator("secret", "admin_key")
    @classmethod
    def _key_long_enough(cls, value: str, info: ValidationInfo) -> str:
        if value and len(value.encode()) < MIN_KEY_BYTES:
            name = PREFIX + str(info.field_name).upper()
            raise ValueError(f"{name} must be at least {MIN_KEY_BYTES} bytes")
        return value

    @field_validator("public_url")
    @classmethod
    def _absolute_url(cls, value: str) -> str:
        if value:
            if not value.startswith(("http://", "https://")):
                raise ValueError("MENTORCALL_PUBLIC_URL must be an http(s) URL")
            origin_of(value)  # ValueError without a host
        return value

    @field_validator("node_url")
    @classmethod
    def _node_url(cls, value: str) -> str:
        if value:
            if not value.startswith(("http://", "https://")):
                raise ValueError("MENTORCALL_NODE_URL must be an http(s) URL")
            origin_of(value)
        return value

    @model_validator(mode="after")
    def _lease_longer_than_heartbeat(self) -> Settings:
        if self.node_lease_s <= self.node_heartbeat_s:
            raise ValueError("MENTORCALL_NODE_LEASE_S must be longer than "
                             "MENTORCALL_NODE_HEARTBEAT_S")
        return self

    @field_validator("metrics_bind")
    @classmethod
    def _host_port(cls, value: str) -> str:
        if value:
            split_bind(value)  # ValueError if not host:port
        return value

    @field_validator("turn_urls")
    @classmethod
    def _turn_urls(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for url in value:
            if not url.startswith(TURN_SCHEMES):
                raise ValueError("MENTORCALL_TURN_URLS must be turn: or turns: URLs")
        return value

    @field_validator("ice_servers")
    @classmethod
    def _stun_only(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        # a TURN URL here would have no credential: browsers refuse to create a peer
        # connection with one (InvalidAccessError), so no call could start
        if any(url.startswith(TURN_SCHEMES) for url in value):
            raise ValueError("MENTORCALL_ICE_SERVERS takes STUN URLs; put TURN servers in "
                             "MENTORCALL_TURN_URLS (with MENTORCALL_TURN_SECRET)")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for network in value:
            try:
                ip_network(network, strict=False)
            except ValueError:
                raise ValueError("MENTORCALL_TRUSTED_PROXIES takes IP addresses or networks "
                                 "(10.0.0.0/8, 127.0.0.1)") from None
        return value

    @model_validator(mode="after")
    def _turn_secret(self) -> Settings:
        if self.turn_urls and len(self.turn_secret.encode()) < MIN_KEY_BYTES:
            raise ValueError(f"MENTORCALL_TURN_SECRET (at least {MIN_KEY_BYTES} bytes) is "
                             "required with MENTORCALL_TURN_URLS")
        if self.turn_secret and not self.turn_urls:
            raise ValueError("MENTORCALL_TURN_SECRET is set but MENTORCALL_TURN_URLS is not")
        return self

    def turn_config(self) -> TurnConfig | None:
        """The TURN servers and secret, None without TURN."""
        if not self.turn_urls:
            return None
        return TurnConfig(self.turn_urls, self.turn_secret, self.turn_ttl_s)

    @model_validator(mode="after")
    def _webhook_signed(self) -> Settings:
        if self.webhook_url and len(self.webhook_secret.encode()) < 16:
            raise ValueError("MENTORCALL_WEBHOOK_SECRET (at least 16 bytes) is required "
                             "with MENTORCALL_WEBHOOK_URL")
        if self.webhook_url and not self.webhook_url.startswith(("http://", "https://")):
            raise ValueError("MENTORCALL_WEBHOOK_URL must be an http(s) URL")
        return self

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Read MENTORCALL_<FIELD> variables; explicit overrides win."""
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        for name, field in cls.model_fields.items():
            raw = env.get(PREFIX + name.upper())
            if raw is None:
                continue
            values[name] = split_list(raw) if field.annotation == tuple[str, ...] else raw
        values.update(overrides)
        return cls.model_validate(values)

    def redis_options(self) -> RedisOptions:
        """The Redis pool's size and timeouts (see docs/operations.md)."""
        return RedisOptions(max_connections=self.redis_max_connections,
                            timeout_s=self.redis_timeout_s,
                            pool_timeout_s=self.redis_pool_timeout_s)

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def node_base_url(self) -> str:
        """Where clients reach this node (``moved`` sends them here)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return (self.node_url or f"http://{host}:{self.port}").rstrip("/")

    @property
    def browser_origins(self) -> tuple[str, ...]:
        """Origins of the pages that may open Socket.IO connections: the public URL's and
        the bind address's (``localhost`` too when bound to loopback)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        local = [f"http://{host}:{self.port}"]
        if self.host in ("127.0.0.1", "::1", "localhost"):
            local += [f"http://localhost:{self.port}", f"http://127.0.0.1:{self.port}"]
        urls = [self.public_url] if self.public_url else []
        return tuple(dict.fromkeys(origin_of(url) for url in [*urls, *local]))

    def resolved_secret(self) -> str:
        return self.secret or _read_or_create(self.data_dir / "secret")

    def resolved_admin_key(self) -> str:
        return self.admin_key or _read_or_create(self.data_dir / "admin_key")

    def admin_key_hint(self) -> str:
        """Where the admin key in use comes from, for the start-up message (a key file
        left from an earlier run is not the key when MENTORCALL_ADMIN_KEY is set)."""
        if self.admin_key:
            return f"from {PREFIX}ADMIN_KEY"
        return f"in {self.data_dir / 'admin_key'}"


def _read_or_create(path: Path) -> str:
    """A random secret kept in a file only its owner can read (created on first use)."""
    if path.exists():
        value = path.read_text().strip()
        if len(value.encode()) < MIN_KEY_BYTES:
            raise ValueError(f"{path} must hold a key of at least {MIN_KEY_BYTES} bytes")
        return value
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value
