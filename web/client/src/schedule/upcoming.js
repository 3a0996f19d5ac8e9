// Upcoming sessions: when (in your zone, and the other person's), with whom, and a Join
// button that turns on by itself when the room opens. The check reads Date.now() every
// few seconds, so a test can drive it with a fake clock. Every time shown is one the
// server computed (`shown` in the page's zone, `local` in each person's), never converted
// here.

import { el } from "./availability.js";
import { listOf } from "./api.js";
import { scheduleErrorText } from "./messages.js";
import { dateOf, dateTimeText, dayText, placeName, repeatedWalls, repeatedWallsBy, spanText, timeText } from "../shared/time.js";

export const JOIN_CHECK_MS = 2000;

const $ = (id) => document.getElementById(id);

/** The other people of a booking as {identity, name, zone}, whatever shape `with` has. */
export function bookingPeople(booking, page) {
  const entries = Array.isArray(booking.with) ? booking.with : booking.with ? [booking.with] : [];
  return entries.map((entry) => {
    const identity = typeof entry === "string" ? entry : entry.identity;
    const zone = (typeof entry === "object" && entry.zone) || booking.local?.[identity]?.zone;
    const known = page.counterpart(identity, zone);
    const name = (typeof entry === "object" && (entry.display_name || entry.name)) || known.name;
    const role = (typeof entry === "object" && entry.role) || known.role;
    return { identity, name, zone: zone || known.zone, role };
  });
}

/** What a booking's Join button says and whether it works, at `now` (epoch ms). */
export function joinState(booking, now) {
  const opens = Date.parse(booking.opens_at || booking.start);
  const ends = Date.parse(booking.closes_at || booking.end); // late joiners may still come in
  if (booking.status === "cancelled") return { enabled: false, label: "Cancelled" };
  if (now >= ends) return { enabled: false, label: "Session ended" };
  if (now >= opens && booking.join_link) return { enabled: true, label: "Join" };
  return { enabled: false, label: null, opens };
}

export class Upcoming {
  /** `page` gives api, zone, counterpart(), status(), afterChange() and find (FindTime). */
  constructor(page) {
    this.page = page;
    this.bookings = [];
    this.repeats = new Set();
    this.zoneRepeats = new Map();
    this.timer = null;
    this.loaded = false;
  }

  async load() {
    try {
      const data = await this.page.api.bookings(this.page.zone);
      this.bookings = listOf(data, "bookings")
        .filter((b) => b.status !== "cancelled")
        .sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
      this.loaded = true;
      this.error("");
    } catch (err) {
      this.error(scheduleErrorText(err));
    }
    this.render();
  }

  error(text) {
    $("upcoming-error").textContent = text || "";
    $("upcoming-error").hidden = !text;
  }

  notice(text) {
    $("upcoming-notice").textContent = text || "";
    $("upcoming-notice").hidden = !text;
  }

  /** People met before: so they can be picked in "Find a time". */
  people() {
    return this.bookings.flatMap((b) => bookingPeople(b, this.page));
  }

  render() {
    const list = $("upcoming-list");
    $("upcoming-empty").hidden = !this.loaded || this.bookings.length > 0;
    // The wall times a clock change repeats among the times listed, per zone.
    this.repeats = repeatedWalls(this.bookings.flatMap(({ shown }) => [shown.start, shown.end, shown.opens_at]));
    this.zoneRepeats = repeatsByZone(this.bookings);
    list.replaceChildren(...this.bookings.map((b) => this.item(b)));
    this.tick();
    clearInterval(this.timer);
    if (this.bookings.length) this.timer = setInterval(() => this.tick(), JOIN_CHECK_MS);
  }

  item(booking) {
    const shown = booking.shown;
    const people = bookingPeople(booking, this.page);
    const names = people.map((p) => p.name).join(", ") || "—";
    const theirTimes = people
      .map((p) => booking.local?.[p.identity])
      .map((local, i) => ({ local, person: people[i] }))
      .filter(({ local }) => local && local.zone !== shown.zone)
      .map(({ local, person }) => {
        const who = people.length > 1 ? `${person.name}: ` : "";
        const span = spanText(local.start, local.end, { repeats: this.zoneRepeats.get(local.zone) });
        return `${who}${dayText(local.start)}, ${span} in ${placeName(local.zone)}`;
      });

    const join = el("button", { type: "button", class: "join" }, "Join");
    join.addEventListener("click", () => {
      if (booking.join_link && joinState(booking, Date.now()).enabled) window.location.assign(booking.join_link);
    });
    const reschedule = el("button", { type: "button", class: "reschedule" }, "Reschedule");
    reschedule.hidden = people.length !== 1;
    reschedule.addEventListener("click", () => this.page.find.startReschedule(booking, people[0]));
    const cancel = el("button", { type: "button", class: "cancel" }, "Cancel");

    const confirm = el(
      "div",
      { class: "confirm", role: "group", "aria-label": "Cancel this session?" },
      el("span", {}, `Cancel this session with ${names}? They'll be told.`),
    );
    const yes = el("button", { type: "button", class: "danger" }, "Yes, cancel it");
    const no = el("button", { type: "button" }, "Keep it");
    confirm.append(yes, no);
    confirm.hidden = true;
    cancel.addEventListener("click", () => {
      confirm.hidden = false;
      no.focus();
    });
    no.addEventListener("click", () => {
      confirm.hidden = true;
      cancel.focus();
    });
    yes.addEventListener("click", () => this.cancel(booking, names, yes));

    const title = booking.title ? el("span", { class: "booking-title" }, booking.title) : null;
    return el(
      "li",
      { class: "booking", dataset: { bookingId: booking.booking_id, start: booking.start } },
      el(
        "div",
        { class: "booking-when" },
        el("span", { class: "booking-day" }, dayText(shown.start)),
        el("span", { class: "booking-time" }, spanText(shown.start, shown.end, { repeats: this.repeats })),
      ),
      el(
        "div",
        { class: "booking-what" },
        title,
        el("span", { class: "booking-with" }, `with ${names}`),
        ...theirTimes.map((t) => el("span", { class: "theirs" }, t)),
        (booking.rules_moved || []).includes(this.page.me?.identity)
          ? el("span", { class: "rules-moved" }, "New time-zone rules moved this session in your time.")
          : null,
      ),
      el("div", { class: "booking-actions" }, join, reschedule, cancel),
      confirm,
    );
  }

  /** Re-evaluate every Join button against the current time. */
  tick() {
    const now = Date.now();
    for (const item of $("upcoming-list").querySelectorAll("li.booking")) {
      const booking = this.bookings.find((b) => b.booking_id === item.dataset.bookingId);
      if (!booking) continue;
      const state = joinState(booking, now);
      const button = item.querySelector("button.join");
      let label = state.label;
      if (!label) {
        const { opens_at: opens, start } = booking.shown;
        const at = { repeats: this.repeats };
        label = `Opens at ${dateOf(opens) === dateOf(start) ? timeText(opens, at) : dateTimeText(opens, at)}`;
      }
      if (button.textContent !== label) button.textContent = label;
      button.disabled = !state.enabled;
      button.classList.toggle("primary", state.enabled);
      item.classList.toggle("is-open", state.enabled);
    }
  }

  async cancel(booking, names, button) {
    button.disabled = true;
    try {
      await this.page.api.cancel(booking.booking_id);
      await this.page.afterChange(
        `Cancelled your session with ${names} on ${dateTimeText(booking.shown.start, { repeats: this.repeats })}.`,
      );
    } catch (err) {
      button.disabled = false;
      this.error(scheduleErrorText(err));
      if (err.code === "booking_not_found" || err.code === "booking_cancelled") await this.load();
    }
  }
}

/** zone -> the wall times repeated among the bookings' times in that zone. */
function repeatsByZone(bookings) {
  return repeatedWallsBy(bookings.flatMap((booking) =>
    Object.values(booking.local || {}).map((local) => [local.zone, local])));
}
