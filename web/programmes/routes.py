"""The programmes REST API (docs/programmes-api.md).

Admin endpoints take the admin key (``Authorization: Bearer``, constant-time, as the
scheduling and recordings APIs); a person's intro takes their schedule-link token. Errors
are ``{"error": {"code", "message"}}``; a refused import adds ``rows`` (every bad row and
why). Imports are CSV (``text/csv``) or JSON, up to ``MAX_IMPORT_BYTES``.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from rooms.clock import Clock
from rooms.errors import RoomError
from rooms.person_tokens import PersonTokens
from rooms.programmes import history
from rooms.programmes.errors import ProgrammeError
from rooms.programmes.importer import read_csv, read_json
from rooms.programmes.model import Intro, Matching, Participant, Programme
from rooms.programmes.service import ProgrammeService
from rooms.programmes.wording import for_person

from ..credentials import bearer, same_secret
from ..recordings.session import COOKIE, SessionCodec
from ..rest import Problem, api_error, read_bounded
from ..scheduling.bodies import describe
from ..scheduling.routes import json_answer, person_of, read_body, status_of
from ..scheduling.views import utc_text
from .bodies import (
    AcceptBody,
    CoffeeBody,
    CreateProgrammeBody,
    IntroParams,
    ListParams,
    LockBody,
    MatchBody,
    SwapBody,
    UpdateProgrammeBody,
)
from .history import IntroHistoryView, coffee_history_view, sent_intro_view
from .views import (
    AcceptedView,
    DashboardView,
    ImportedPerson,
    ImportedView,
    IntroEvent,
    IntrosView,
    MatchingView,
    PairProgress,
    PeopleView,
    PersonView,
    ProgrammeLine,
    ProgrammeListView,
    RoundFigure,
    intro_view,
    my_intro_view,
    programme_view,
    slot_times,
)

Body = TypeVar("Body", bound=BaseModel)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
MAX_IMPORT_BYTES = 2 * 1024 * 1024
STATUS = {"programme_not_found": 404, "invalid_import": 400, "invalid_json": 400,
          "bad_encoding": 400, "wrong_columns": 400, "programme_infeasible": 409,
          "not_matched": 409, "pair_not_found": 404, "pair_excluded": 409,
          "intro_not_found": 404, "slot_not_offered": 409, "pool_too_small": 409,
          "publish_in_progress": 409, "coffee_round_in_progress": 409,
          "coffee_round_exists": 409, "week_out_of_range": 400, "matching_too_large": 409}


def answers(handler: Handler) -> Handler:
    """Coded JSON errors for the programme, room and validation errors."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except ProgrammeError as exc:
            status = STATUS.get(exc.code, 400)
            if exc.rows:
                return web.json_response({
                    "error": {"code": exc.code, "message": exc.message},
                    "rows": [{"row": r.row, "key": r.key, "reason": r.reason}
                             for r in exc.rows]}, status=status)
            return api_error(status, exc.code, exc.message)
        except Problem as exc:
            return api_error(exc.status, exc.code, exc.message, exc.headers)
        except RoomError as exc:
            return api_error(status_of(exc.code), exc.code, exc.message)
        except ValidationError as exc:
            return api_error(400, "invalid_body", describe(exc.errors(include_input=False)))

    return wrapped


def matching_view(matching: Matching) -> MatchingView:
    return MatchingView.model_validate(matching.model_dump(mode="json"))


class ProgrammesApi:
    """Handlers of the programme endpoints."""

    def __init__(self, service: ProgrammeService, tokens: PersonTokens, admin_key: str,
                 base_url: str, sessions: SessionCodec | None = None) -> None:
        self._service = service
        self._tokens = tokens
        self._admin_key = admin_key.encode()
        self._base_url = base_url
        self._sessions = sessions

    def routes(self) -> list[web.RouteDef]:
        base = "/api/programmes/{programme_id}"
        return [
            web.post("/api/programmes", answers(self.create)),
            web.get("/api/programmes", answers(self.list_programmes)),
            web.get(base, answers(self.get)),
            web.patch(base, answers(self.update)),
            web.get(base + "/people", answers(self.people)),
            web.post(base + "/people", answers(self.import_json)),
            web.post(base + "/people.csv", answers(self.import_csv)),
            web.post(base + "/matching", answers(self.run_matching)),
            web.get(base + "/matching", answers(self.matching)),
            web.post(base + "/matching/lock", answers(self.lock)),
            web.post(base + "/matching/swap", answers(self.swap)),
            web.post(base + "/publish", answers(self.publish)),
            web.get(base + "/intro", answers(self.my_intro)),
            web.get("/api/me/intro", answers(self.my_programme_intro)),
            web.post(base + "/intro/accept", answers(self.accept)),
            web.post(base + "/coffee-rounds", answers(self.coffee_round)),
            web.get(base + "/dashboard", answers(self.dashboard)),
            web.get(base + "/intros", answers(self.intro_history)),
            web.get(base + "/coffee-rounds", answers(self.coffee_history)),
        ]

    async def _require_admin(self, request: web.Request) -> None:
        """The admin key as ``Authorization: Bearer``, else the admin pages' session cookie
        (web/recordings/session.py) of a sign-in with the admin key, with ``X-CSRF-Token``
        on anything but GET; the header wins when both are sent."""
        cookie = request.cookies.get(COOKIE)
        if "Authorization" not in request.headers and cookie and self._sessions is not None:
            session = await self._sessions.open(cookie)  # 401 unauthorized / session_expired
            if session.room_id is not None:
                raise Problem("forbidden", "Programmes need a sign-in with the admin key, "
                                           "not a room's admin token.", 403)
            self._sessions.check_csrf(request, session)  # 403 csrf_invalid
            return
        if not same_secret(bearer(request), self._admin_key):
            raise Problem("unauthorized", "Send the admin key as 'Authorization: Bearer'.", 401)

    async def _person(self, request: web.Request) -> str:
        """The identity of the person whose schedule link the request carries."""
        person = await person_of(request, self._tokens, self._service.scheduling.directory)
        return person.identity

    @staticmethod
    def _id(request: web.Request) -> str:
        return request.match_info["programme_id"]

    async def create(self, request: web.Request) -> web.Response:
        await self._require_admin(request)
        body = await read_body(request, CreateProgrammeBody)
        try:
            settings = body.settings()
        except ValueError as exc:
            raise Problem("invalid_body", f"default_availability: {exc}") from exc
        programme = await self._service.create(body.name, **settings)
        return json_answer(programme_view(programme, []), status=201)

    async def list_programmes(self, request: web.Request) -> web.Response:
        await self._require_admin(request)
        params = ListParams.model_validate(dict(request.query))
        found = await self._service.store.list_programmes(params.limit + 1)
        return json_answer(ProgrammeListView(programmes=[ProgrammeLine(
            programme_id=p.programme_id, name=p.name, created_at=utc_text(p.created_at),
            people=p.people, published=p.published) for p in found[:params.limit]],
            more=len(found) > params.limit))

    async def update(self, request: web.Request) -> web.Response:
        await self._require_admin(request)
        body = await read_body(request, UpdateProgrammeBody)
        try:
            changes = body.changes()
        except ValueError as exc:
            raise Problem("invalid_body", f"default_availability: {exc}") from exc
        programme = await self._service.update(self._id(request), **changes)
        people = await self._service.store.participants(programme.programme_id)
        return json_answer(programme_view(programme, people))

    async def get(self, request: web.Request) -> web.Response:
        await self._require_admin(request)
        programme = await self._service.programme(self._id(request))
        people = await self._service.store.participants(programme.programme_id)
        return json_answer(programme_view(programme, people))

    async def people(self, request: web.Request) -> web.Response:
        await self._require_admin(request)
        programme = await self._service.programme(self._id(request))
        people = await self._service.store.participants(programme.programme_id)
        return json_answer(PeopleView(people=[PersonView(
            key=p.key, name=p.name, role=p.role.value, zone=p.zone, capacity=p.capacity,
            coffee=p.coffee) for p in people]))

    async def _raw(self, request: web.Request) -> bytes:
        too_large = Problem("body_too_large",
                            f"Imports are limited to {MAX_IMPORT_BYTES} bytes.", 413)
        return await read_bounded(request, MAX_IMPORT_BYTES, too_large)

    async def _imported(self, programme_id: str, rows: list[Participant],
                        before: set[str]) -> web.Response:
        people = [ImportedPerson(
            key=p.key, identity=p.identity, name=p.name, role=p.role.value, zone=p.zone,
            schedule_link=f"{self._base_url}/schedule#token="
                          f"{self._tokens.issue(p.identity, 0)}") for p in rows]
        left = sorted(before - {p.key for p in rows})
        return json_answer(ImportedView(imported=len(people), people=people, left=left),
                           status=201)

    async def _keys(self, programme_id: str) -> set[str]:
        return {p.key for p in await self._service.store.participants(programme_id)}

    async def import_json(self, request: web.Request) -> web.Response:
        await self._require_admin(request)
        programme = await self._service.programme(self._id(request))
        # ImportBody documents the shape; the rows are checked one by one (read_json), so
        # that every bad row is reported with its reason, not the first bad field only.
        rows = await self._service.read_rows(read_json, await self._raw(request))
        before = await self._keys(programme.programme_id)
        made = await self._service.import_people(programme.programme_id, rows)
        return await self._imported(programme.programme_id, made, before)

    async def import_csv(self, request: web.Request) -> web.Response:
        await self._require_admin(request)
        programme = await self._service.programme(self._id(request))
        rows = await self._service.read_rows(read_csv, await self._raw(request))
        before = await self._keys(programme.programme_id)
        made = await self._service.import_people(programme.programme_id, rows)
        return await self._imported(programme.programme_id, made, before)

    async def run_matching(self, request: web.Request) -> web.Response:
        await self._require_admin(request)
        body = await read_body(request, MatchBody)
        return json_answer(matching_view(
            await self._service.run_matching(self._id(request), body.week_of)))

    async def matching(self, request: web.Request) -> web.Response:
        await self._require_admin(request)
        await self._service.programme(self._id(request))
        found = await self._service.store.matching(self._id(request))
        if found is None:
            raise ProgrammeError("not_matched", "Run the matching first.")
        return json_answer(matching_view(found))

    async def lock(self, request: web.Request) -> web.Response:
        await self._require_admin(request)
        body = await read_body(request, LockBody)
        return json_answer(matching_view(
            await self._service.lock(self._id(request), body.mentee, body.locked)))

    async def swap(self, request: web.Request) -> web.Response:
        await self._require_admin(request)
        body = await read_body(request, SwapBody)
        return json_answer(matching_view(
            await self._service.swap(self._id(request), body.mentee_a, body.mentee_b)))

    async def publish(self, request: web.Request) -> web.Response:
        await self._require_admin(request)
        intros = await self._service.publish(self._id(request))
        return json_answer(IntrosView(intros=[intro_view(i) for i in intros]))

    async def my_intro(self, request: web.Request) -> web.Response:
        identity = await self._person(request)
        return await self._intro_of(request, identity, self._id(request))

    async def my_programme_intro(self, request: web.Request) -> web.Response:
        """The caller's intro in the programme they were imported into (the schedule page
        has only their token)."""
        identity = await self._person(request)
        programme_id = await self._service.store.programme_of(identity)
        if programme_id is None:
            raise ProgrammeError("intro_not_found", "You are not in a programme.")
        return await self._intro_of(request, identity, programme_id)

    async def _intro_of(self, request: web.Request, identity: str,
                        programme_id: str) -> web.Response:
        params = IntroParams.model_validate(dict(request.query))
        programme = await self._service.programme(programme_id)
        intros, people = await self._service.intros_for(programme.programme_id, identity)
        me = next(p for p in people.values() if p.identity == identity)
        return json_answer(my_intro_view(programme, intros, me, people, params.zone))

    async def accept(self, request: web.Request) -> web.Response:
        identity = await self._person(request)
        body = await read_body(request, AcceptBody)
        booking = await self._service.accept(self._id(request), identity, body.start,
                                             body.weekly_sessions)
        return json_answer(AcceptedView(booking_id=booking.booking_id,
                                        start=utc_text(booking.start),
                                        end=utc_text(booking.end)), status=201)

    async def coffee_round(self, request: web.Request) -> web.Response:
        await self._require_admin(request)
        body = await read_body(request, CoffeeBody)
        intros = await self._service.coffee_round(self._id(request), body.week_of)
        return json_answer(IntrosView(intros=[intro_view(i) for i in intros]), status=201)

    async def _people(self, programme_id: str) -> dict[str, Participant]:
        await self._service.programme(programme_id)  # programme_not_found
        return {p.key: p for p in await self._service.store.participants(programme_id)}

    async def intro_history(self, request: web.Request) -> web.Response:
        await self._require_admin(request)
        people = await self._people(self._id(request))
        sent = await history.intros_sent(self._service.store, self._id(request))
        return json_answer(IntroHistoryView(intros=[sent_intro_view(i, people)
                                                    for i in sent]))

    async def coffee_history(self, request: web.Request) -> web.Response:
        await self._require_admin(request)
        people = await self._people(self._id(request))
        rounds = await history.coffee_rounds(self._service.store, self._id(request))
        return json_answer(coffee_history_view(rounds, people))

    async def dashboard(self, request: web.Request) -> web.Response:
        await self._require_admin(request)
        programme_id = self._id(request)
        await self._service.programme(programme_id)
        store = self._service.store
        people = await store.participants(programme_id)
        matching = await store.matching(programme_id)
        intros = await store.intros(programme_id)
        progress = await self._service.progress(programme_id)
        rounds = [RoundFigure(round_no=n, pairs=sum(1 for i in r if i.mentee),
                              booked=sum(1 for i in r if i.booking_id),
                              sitting_out=sum(1 for i in r if not i.mentee))
                  for n, r in enumerate(await store.coffee_rounds(programme_id), start=1)]
        return json_answer(DashboardView(
            mentors=sum(p.role.value == "mentor" for p in people),
            mentees=sum(p.role.value == "mentee" for p in people),
            matched=len(matching.pairs) if matching else 0,
            unmatched=len(matching.unmatched) if matching else 0,
            published_intros=len(intros),
            first_sessions_booked=sum(1 for i in intros if i.booking_id),
            sessions_held=sum(int(p["sessions_held"]) for p in progress),
            no_shows=sum(int(p["no_shows"]) for p in progress),
            coffee_rounds=rounds,
            pairs=[PairProgress(mentor=p["mentor"], mentee=p["mentee"],
                                sessions_held=p["sessions_held"], no_shows=p["no_shows"],
                                open_action_items=p["open_action_items"],
                                next_session=utc_text(p["next_session"])
                                if p["next_session"] else None) for p in progress]))


class IntroWebhooks:
    """Queues a ``programme.intro`` webhook per published intro in the scheduling outbox."""

    def __init__(self, enqueue: Callable[[IntroEvent], Awaitable[None]], clock: Clock) -> None:
        self._enqueue = enqueue
        self._clock = clock

    async def intro_published(self, programme: Programme, intro: Intro,
                              people: dict[str, Participant]) -> None:
        mentor, mentee = people[intro.mentor], people[intro.mentee]
        await self._enqueue(IntroEvent(
            id=str(uuid.uuid4()), type="programme.intro",
            created_at=utc_text(datetime.fromtimestamp(int(self._clock.now()), UTC)),
            programme_id=programme.programme_id, programme=programme.name,
            mentor={"key": mentor.key, "identity": mentor.identity, "name": mentor.name,
                    "zone": mentor.zone},
            mentee={"key": mentee.key, "identity": mentee.identity, "name": mentee.name,
                    "zone": mentee.zone},
            explanation=intro.explanation,
            mentor_explanation=for_person(programme, intro, mentor, mentee),
            mentee_explanation=for_person(programme, intro, mentee, mentor),
            slots=slot_times(intro),
            booking_id=intro.booking_id))
