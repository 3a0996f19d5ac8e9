"""`mentorcall` command line: run the server, or create a room on a running one."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from .app import create_app
from .local_addresses import LOCAL, loopback_only, own_addresses
from .nodes.runner import serve_node
from .nodes.workers import run_workers
from .settings import Settings


def serve(settings: Settings) -> None:
    """Run the server (one node) until SIGTERM/SIGINT, draining it first with Redis."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    for noisy in ("aioice", "aiortc"):  # per-candidate ICE chatter
        logging.getLogger(noisy).setLevel(logging.WARNING)
    print(f"admin key: {settings.admin_key_hint()}", flush=True)
    hint = media_hint(settings)
    if hint:
        print(hint, flush=True)

    async def run() -> None:
        await serve_node(create_app(settings), settings)

    asyncio.run(run())


def media_hint(settings: Settings) -> str | None:
    """What a newcomer needs to know about media at start-up (README, "Your first call")."""
    if LOCAL in (n.strip().lower() for n in settings.ice_allowed_networks):
        own = ", ".join(own_addresses()) or "none found"
        return f"media: browsers on this machine may use its own addresses too ({own})"
    if loopback_only(settings.ice_hosts, settings.ice_allowed_networks):
        return ("media on loopback only: a browser on this machine needs "
                "--allow-loopback-in-peer-connection (Chrome, Chromium), or start the server "
                "with MENTORCALL_ICE_ALLOWED_NETWORKS=127.0.0.0/8,::1/128,local "
                "(README, \"Your first call\")")
    return None


def admin_post(settings: Settings, path: str, body: dict[str, object] | None = None,
               csv: bytes | None = None) -> dict[str, Any] | None:
    """POST JSON (or a CSV body) to the running server as the admin; None (after saying
    why, and every refused row of an import) on failure."""
    request = urllib.request.Request(
        f"http://{settings.host}:{settings.port}{path}",
        data=csv if csv is not None else json.dumps(body or {}).encode(),
        headers={
            "Authorization": f"Bearer {settings.resolved_admin_key()}",
            "Content-Type": "text/csv" if csv is not None else "application/json",
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            answer: dict[str, Any] = json.load(response)
            return answer
    except urllib.error.HTTPError as exc:
        answer = json.load(exc)
        print(f"error: {answer.get('error', {}).get('message', exc)}", file=sys.stderr)
        for row in answer.get("rows", []):
            print(f"  row {row['row']} ({row['key'] or '?'}): {row['reason']}", file=sys.stderr)
    except urllib.error.URLError as exc:
        print(f"error: is the server running? ({exc.reason})", file=sys.stderr)
    return None


def create_room(settings: Settings, args: argparse.Namespace) -> int:
    """POST /api/rooms on the running server and print the two join links."""
    room = admin_post(
        settings,
        "/api/rooms",
        {
            "mentor_name": args.mentor,
            "mentee_name": args.mentee,
            "title": args.title,
            "duration_minutes": args.minutes,
        },
    )
    if room is None:
        return 1
    print(f"room {room['room_id']} (open for {args.minutes} minutes)")
    print(f"mentor ({args.mentor}): {room['links']['mentor']}")
    print(f"mentee ({args.mentee}): {room['links']['mentee']}")
    return 0


def create_roundtable(settings: Settings, args: argparse.Namespace) -> int:
    """POST /api/rooms (kind roundtable) on the running server and print every link."""
    people = [
        {"name": name, "role": role}
        for role, names in (("co-host", args.co_host), ("participant", args.participant),
                            ("observer", args.observer))
        for name in names
    ]
    room = admin_post(
        settings,
        "/api/rooms",
        {
            "kind": "roundtable",
            "host_name": args.host_name,
            "participants": people,
            "shareable": args.shareable or not people,
            "lobby": args.lobby,
            "capacity": args.capacity,
            "title": args.title,
            "duration_minutes": args.minutes,
        },
    )
    if room is None:
        return 1
    lobby = ", lobby on" if room.get("lobby") else ""
    print(f"roundtable {room['room_id']} (open for {args.minutes} minutes{lobby})")
    links = room["links"]
    print(f"host ({args.host_name}): {links['host']}")
    for person in links.get("participants", []):
        print(f"{person['role']} ({person['name']}): {person['link']}")
    if links.get("shareable"):
        print(f"shareable participant link: {links['shareable']}")
    return 0


def add_person(settings: Settings, args: argparse.Namespace) -> int:
    """POST /api/people on the running server and print the person's schedule link."""
    person = admin_post(
        settings,
        "/api/people",
        {"display_name": args.name, "role": args.role, "zone": args.zone},
    )
    if person is None:
        return 1
    print(f"{person['display_name']} ({person['role']}, {person['zone']})")
    print(f"schedule link: {person['schedule_link']}")
    return 0


def create_programme(settings: Settings, args: argparse.Namespace) -> int:
    """Create a programme, import a CSV into it, print the admin page and people's links."""
    try:
        csv = Path(args.csv).read_bytes()
    except OSError as exc:
        print(f"error: can't read {args.csv}: {exc.strerror}", file=sys.stderr)
        return 1
    # the importer's own checks first, so that a bad file leaves no empty programme behind
    # (imported here: this is the only command that needs it)
    from rooms.programmes.errors import ProgrammeError
    from rooms.programmes.importer import read_csv

    try:
        read_csv(csv)
    except ProgrammeError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        for row in exc.rows:
            print(f"  row {row.row} ({row.key or '?'}): {row.reason}", file=sys.stderr)
        print("no programme was created; fix the file and run this again", file=sys.stderr)
        return 1
    made = admin_post(settings, "/api/programmes",
                      {"name": args.name, "default_availability": args.default_availability})
    if made is None:
        return 1
    programme_id = made["programme_id"]
    imported = admin_post(settings, f"/api/programmes/{programme_id}/people.csv", csv=csv)
    if imported is None:
        print(f"the programme {programme_id} was created empty; fix the file and import it on "
              "the admin page", file=sys.stderr)
        return 1
    base = f"http://{settings.host}:{settings.port}"
    print(f"programme {made['name']}: {imported['imported']} people imported")
    print(f"admin page: {base}/programmes#programme={programme_id} (sign in with the admin key)")
    for person in imported["people"]:
        print(f"{person['name']} ({person['role']}, {person['zone']}): {person['schedule_link']}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mentorcall", description=__doc__)
    parser.add_argument("--host", help="listen address (MENTORCALL_HOST, default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="listen port (MENTORCALL_PORT, default 8080)")
    commands = parser.add_subparsers(dest="command", required=True)
    serve_parser = commands.add_parser("serve", help="run the server")
    serve_parser.add_argument(
        "--workers", type=int, nargs="?", const=0, default=None, metavar="N",
        help="run N worker processes, each a node on port PORT+i (no N: one per core); "
             "needs MENTORCALL_REDIS_URL")
    room = commands.add_parser("create-room", help="create a 1:1 coffee room, print join links")
    room.add_argument("--mentor", default="Mentor", help="mentor's display name")
    room.add_argument("--mentee", default="Mentee", help="mentee's display name")
    room.add_argument("--title", default="Virtual coffee")
    room.add_argument("--minutes", type=int, default=30, help="how long the room stays open")
    table = commands.add_parser(
        "create-roundtable", help="create a roundtable a host runs, print its links"
    )
    table.add_argument("--host-name", default="Host", help="the host's display name")
    for flag, what in (("--participant", "participant"), ("--co-host", "co-host"),
                       ("--observer", "observer (watches only)")):
        table.add_argument(flag, action="append", default=[], metavar="NAME",
                           help=f"a named {what} with a link of their own (repeatable)")
    table.add_argument("--shareable", action="store_true",
                       help="also print one participant link anyone may open "
                            "(the default when nobody is named)")
    table.add_argument("--lobby", action="store_true", help="joiners wait to be admitted")
    table.add_argument("--capacity", type=int, default=12, help="people at once (2-50)")
    table.add_argument("--title", default="Roundtable")
    table.add_argument("--minutes", type=int, default=60, help="how long the room stays open")
    person = commands.add_parser("add-person", help="register a person, print schedule link")
    person.add_argument("--name", required=True, help="display name")
    person.add_argument("--role", choices=("mentor", "mentee", "host"), required=True)
    person.add_argument("--zone", required=True, help="IANA time zone, e.g. Asia/Tokyo")
    programme = commands.add_parser(
        "create-programme", help="create a mentoring programme from a CSV, print its links")
    programme.add_argument("--name", required=True, help="the programme's name")
    programme.add_argument("--csv", required=True, help="people (docs/sample-programme.csv)")
    programme.add_argument("--default-availability", default="mon-fri 09:00-17:00",
                           help="windows for people without their own, in their own zone")
    args = parser.parse_args(argv)
    overrides = {k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
    settings = Settings.from_env(**overrides)
    if args.command == "serve":
        if args.workers is not None:
            return run_workers(settings, args.workers)
        serve(settings)
        return 0
    if args.command == "add-person":
        return add_person(settings, args)
    if args.command == "create-programme":
        return create_programme(settings, args)
    if args.command == "create-roundtable":
        return create_roundtable(settings, args)
    return create_room(settings, args)


if __name__ == "__main__":
    sys.exit(main())
