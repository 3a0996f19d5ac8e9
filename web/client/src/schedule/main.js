// mentorcall scheduling page (/schedule#token=<person token>): your zone, your weekly
// availability, free times with your mentor or mentee, booking, and upcoming sessions
// with a Join button that turns on when the room opens (docs/scheduling-api.md).

import { ApiError, ScheduleApi } from "./api.js";
import { AvailabilityEditor, el } from "./availability.js";
import { counterpartFallback, roleWord, scheduleErrorText } from "./messages.js";
import { FindTime } from "./slots.js";
import {
  browserZone,
  isKnownZone,
  nowText,
  placeName,
  setZones,
  timeText,
  zoneNames,
  zoneOffsetLabel,
} from "../shared/time.js";
import { Upcoming, bookingPeople } from "./upcoming.js";
import { ActionItemsList } from "./items.js";
import { MatchPanel } from "./match.js";
import { tokenFromLocation } from "../shared/token.js";

const CLOCK_MS = 15000;

const $ = (id) => document.getElementById(id);

/** `?with=u_1&with=u_2` or `?with=u_1,u_2`: people named by the link the programme sent. */
function identitiesFromQuery() {
  const params = new URLSearchParams(window.location.search);
  return params.getAll("with").flatMap((v) => v.split(",")).map((v) => v.trim()).filter(Boolean);
}

class SchedulePage {
  constructor(token) {
    this.api = new ScheduleApi(token);
    this.token = token;
    this.state = "loading";
    this.errorCode = null;
    this.me = null;
    this.zone = browserZone();
    this.savedZone = null;
    this.people = new Map(); // identity -> {identity, name, zone, role}
    this.dirty = false;
    this.editor = new AvailabilityEditor(() => this.markDirty());
    this.find = new FindTime(this);
    this.upcoming = new Upcoming(this);
    this.actionItems = new ActionItemsList(this);
    this.match = new MatchPanel(this);
  }

  setState(state) {
    this.state = state;
    document.body.dataset.state = state;
  }

  status(text) {
    $("status").textContent = text;
  }

  fatal(code, heading = "This link can't be used") {
    this.errorCode = code;
    $("fatal-heading").textContent = heading;
    $("fatal-text").textContent = scheduleErrorText({ code });
    $("fatal").hidden = false;
    $("app").hidden = true;
    this.setState("error");
    this.status(scheduleErrorText({ code }));
  }

  // ---- people -------------------------------------------------------------

  /** Someone this person deals with; unknown ones get a role-based name. */
  counterpart(identity, zone) {
    const known = this.people.get(identity);
    if (known) {
      if (zone && !known.zone) known.zone = zone;
      return known;
    }
    return { identity, name: counterpartFallback(this.me?.role), zone, role: null };
  }

  counterpartLabel(p) {
    const role = roleWord(p.role);
    const name = p.name.charAt(0).toUpperCase() + p.name.slice(1);
    return role && !name.toLowerCase().includes(role) ? `${name} (${role})` : name;
  }

  learn(person) {
    if (!person?.identity || person.identity === this.me?.identity) return;
    const before = this.people.get(person.identity) || {};
    const fallback = counterpartFallback(this.me?.role);
    this.people.set(person.identity, {
      identity: person.identity,
      name: person.display_name || person.name || (before.name !== fallback && before.name) || fallback,
      zone: person.zone || before.zone || null,
      role: person.role || before.role || null,
    });
  }

  /** The names and zones a booking tells about the people in it. */
  learnFromBookings(bookings) {
    for (const booking of bookings) for (const p of bookingPeople(booking, this)) this.learn(p);
    this.refreshCounterparts();
  }

  refreshCounterparts() {
    this.find.setCounterparts([...this.people.values()]);
  }

  // ---- start --------------------------------------------------------------

  async start() {
    if (!this.token) {
      this.fatal("token_missing");
      return;
    }
    try {
      const [me, zones] = await Promise.all([this.api.me(), this.api.zones()]);
      this.me = me;
      setZones(zones?.zones);
    } catch (err) {
      const code = err instanceof ApiError ? err.code : "internal_error";
      if (code === "unauthorized" || code === "forbidden") this.fatal("unauthorized");
      else if (code.startsWith("token_") || code === "person_not_found") this.fatal(code);
      else this.fatal(code, "Can't load your sessions");
      return;
    }
    const stored = this.me.availability?.zone || this.me.zone;
    this.savedZone = stored || null;
    this.zone = isKnownZone(stored) ? stored : isKnownZone(browserZone()) ? browserZone() : "UTC";

    for (const person of this.me.counterparts || []) this.learn(person);
    for (const identity of identitiesFromQuery()) if (!this.people.has(identity)) this.learn({ identity });

    this.renderHeader();
    this.fillZones();
    this.editor.load(this.me.availability);
    this.find.resetDates();
    this.markClean();
    $("save-availability").addEventListener("click", () => this.saveAvailability());
    $("zone-select").addEventListener("change", () => this.setZone($("zone-select").value));
    $("zone-use-browser").addEventListener("click", () => this.setZone(browserZone()));
    $("fatal").hidden = true;
    $("app").hidden = false;

    await this.upcoming.load();
    this.learnFromBookings(this.upcoming.bookings);
    await this.match.load();
    await this.actionItems.load();
    this.setState("ready");
    this.status(`Times are shown in your time zone, ${this.zone}.`);
    if (this.people.size) await this.find.search();
    this.tickClock();
    setInterval(() => this.tickClock(), CLOCK_MS);
  }

  renderHeader() {
    const me = this.me;
    const role = roleWord(me.role);
    $("who").textContent = `Scheduling · you are ${me.display_name}${role ? ` (${role})` : ""}`;
    $("greeting").textContent = `Hello, ${me.display_name}`;
    if (me.feed_url) {
      $("feed-link").href = me.feed_url;
      $("feed").hidden = false;
    }
  }

  fillZones() {
    const select = $("zone-select");
    // The server's zones (its tz database), with the offsets it gave for now.
    select.replaceChildren(
      ...zoneNames().map((z) => el("option", { value: z }, `${z.replace(/_/g, " ")} (${zoneOffsetLabel(z)})`)),
    );
    select.value = this.zone;
    this.renderZoneNote();
  }

  tickClock() {
    $("zone-now").textContent = `It's ${timeText(nowText(this.zone))} in ${placeName(this.zone)} now.`;
  }

  renderZoneNote() {
    const mine = browserZone();
    const differs = mine !== this.zone && isKnownZone(mine);
    $("zone-note").hidden = !differs;
    if (differs) {
      $("zone-note-text").textContent =
        `This device's clock is set to ${mine.replace(/_/g, " ")}, ` +
        `but times here are shown in ${this.zone.replace(/_/g, " ")}.`;
      $("zone-use-browser").textContent = `Use ${placeName(mine)}`;
    }
    $("availability-hint").textContent =
      `Your usual week, in your own time (${this.zone.replace(/_/g, " ")}). ` +
      "Suggested times only use hours you and the other person both have free.";
  }

  /** Show everything in `zone`; availability is read in it once saved. */
  setZone(zone) {
    if (!isKnownZone(zone)) {
      $("zone-select").value = this.zone;
      this.status(scheduleErrorText({ code: "unknown_zone" }));
      return;
    }
    this.zone = zone;
    if (![...$("zone-select").options].some((o) => o.value === zone)) this.fillZones();
    $("zone-select").value = zone;
    this.renderZoneNote();
    this.tickClock();
    // The server computes every time shown in the new zone.
    this.upcoming.load().then(() => this.match.load());
    this.find.refresh();
    if (zone !== this.savedZone) this.markDirty();
    else if (!this.editorChanged) this.markClean();
    this.status(`Times are now shown in ${zone}.`);
  }

  // ---- availability -------------------------------------------------------

  markDirty() {
    this.dirty = true;
    this.editorChanged = true;
    const zoneNote = this.zone !== this.savedZone ? ` Saving also sets your time zone to ${this.zone}.` : "";
    $("availability-state").textContent = `Not saved yet.${zoneNote}`;
  }

  markClean(text = "") {
    this.dirty = false;
    this.editorChanged = false;
    $("availability-state").textContent = text;
  }

  availabilityError(text) {
    $("availability-error").textContent = text || "";
    $("availability-error").hidden = !text;
  }

  async saveAvailability() {
    const problems = this.editor.problems();
    if (problems.length) {
      this.availabilityError(problems.join(" "));
      this.status(problems[0]);
      return;
    }
    this.availabilityError("");
    const button = $("save-availability");
    button.disabled = true;
    $("availability-state").textContent = "Saving…";
    try {
      const saved = await this.api.saveAvailability(this.editor.toBody(this.zone));
      const stored = saved?.availability || saved;
      if (stored?.weekly) this.editor.load(stored);
      this.savedZone = stored?.zone || this.zone;
      this.me.availability = stored;
      this.markClean(`Saved at ${timeText(nowText(this.zone))}.`);
      this.status("Your availability is saved.");
      await this.find.refresh();
    } catch (err) {
      const text = scheduleErrorText(err);
      this.availabilityError(text);
      $("availability-state").textContent = "Not saved.";
      this.status(text);
    } finally {
      button.disabled = false;
    }
  }

  // ---- after booking, moving or cancelling ---------------------------------

  async afterChange(message, highlightId) {
    await this.upcoming.load();
    this.learnFromBookings(this.upcoming.bookings);
    this.upcoming.notice(message);
    if (message) this.status(message);
    if (highlightId) {
      const item = $("upcoming-list").querySelector(`li[data-booking-id="${CSS.escape(highlightId)}"]`);
      item?.classList.add("is-new");
    }
    await this.find.refresh();
  }
}

const page = new SchedulePage(tokenFromLocation());

// Read by the end-to-end tests (tests/e2e/test_schedule.py).
window.mentorcallSchedule = {
  get state() {
    return page.state;
  },
  get error() {
    return page.errorCode;
  },
  get zone() {
    return page.zone;
  },
};

window.addEventListener("hashchange", () => window.location.reload());

page.start();
