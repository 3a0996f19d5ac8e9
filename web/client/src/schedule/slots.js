// "Find a time": the common free slots with one other person, shown in your own zone
// (and theirs, smaller), booked with one click. Also used to move an existing booking.
// Every time shown is one the server computed (`shown`, `local`), never converted here.

import { el } from "./availability.js";
import { listOf } from "./api.js";
import { scheduleErrorText } from "./messages.js";
import { addDays, dateOf, dateTimeText, dayText, nowText, placeName, repeatedWalls, repeatedWallsBy, spanText } from "../shared/time.js";

const SLOTS_PER_PAGE = 24;
const DEFAULT_DAYS = 14;

const $ = (id) => document.getElementById(id);

export class FindTime {
  /** `page` gives api, zone, me, counterpart(identity), status(text) and afterChange(). */
  constructor(page) {
    this.page = page;
    this.slots = [];
    this.repeats = new Set(); // wall times listed with two offsets (a clock going back)
    this.theirRepeats = new Map(); // the same for each other person's times
    this.next = null; // the path of the server's next page of slots
    this.shown = SLOTS_PER_PAGE;
    this.busy = false;
    this.searched = false;
    this.rescheduling = null; // the booking being moved, if any
    $("find-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      this.search();
    });
    $("more-slots").addEventListener("click", () => this.showMore());
    $("reschedule-stop").addEventListener("click", () => this.stopReschedule());
  }

  /** Default dates: the next two weeks in the person's zone. */
  resetDates() {
    const today = dateOf(nowText(this.page.zone));
    $("from-date").value = today;
    $("to-date").value = addDays(today, DEFAULT_DAYS - 1);
  }

  /** Fill "Meet with" with the people this person can book. */
  setCounterparts(people) {
    const select = $("with-select");
    const current = select.value;
    select.replaceChildren(
      ...people.map((p) => el("option", { value: p.identity }, this.page.counterpartLabel(p))),
    );
    if (people.some((p) => p.identity === current)) select.value = current;
    const none = !people.length;
    $("no-counterpart").hidden = !none;
    $("find-form").hidden = none;
  }

  error(text) {
    const box = $("find-error");
    box.textContent = text || "";
    box.hidden = !text;
  }

  query() {
    return {
      withIdentity: $("with-select").value,
      length: Number($("length-select").value),
      from: $("from-date").value,
      to: $("to-date").value,
      zone: this.page.zone,
    };
  }

  async search({ keepMessage = false } = {}) {
    const q = this.query();
    if (!keepMessage) this.error("");
    if (!q.withIdentity) return;
    if (!q.from || !q.to) {
      this.error("Choose both a first and a last day.");
      return;
    }
    if (q.to < q.from) {
      this.error("The last day comes before the first day. Swap them or pick another date.");
      return;
    }
    $("find-button").disabled = true;
    $("slots-summary").textContent = "Looking for times you're both free…";
    try {
      const found = await this.page.api.slots(q);
      this.slots = found.slots;
      this.next = found.next;
      this.searched = true;
      this.shown = SLOTS_PER_PAGE;
      this.lastQuery = q;
      this.render();
    } catch (err) {
      this.slots = [];
      this.next = null;
      this.render();
      $("slots-summary").textContent = "";
      this.error(scheduleErrorText(err));
    } finally {
      $("find-button").disabled = false;
    }
  }

  /** Show more slots, fetching the server's next page when the ones here run out. */
  async showMore() {
    this.shown += SLOTS_PER_PAGE;
    if (this.shown > this.slots.length && this.next) {
      $("more-slots").disabled = true;
      try {
        const found = await this.page.api.slotsPage(this.next);
        this.slots = this.slots.concat(found.slots);
        this.next = found.next;
      } catch (err) {
        this.error(scheduleErrorText(err));
      } finally {
        $("more-slots").disabled = false;
      }
    }
    this.render();
  }

  /** Search again with the same settings, if a search was made (times are now different). */
  refresh() {
    if (this.searched) return this.search({ keepMessage: true });
    return Promise.resolve();
  }

  render() {
    const zone = this.page.zone;
    const box = $("slots");
    const summary = $("slots-summary");
    if (!this.searched) {
      box.replaceChildren();
      summary.textContent = "";
      $("more-slots").hidden = true;
      return;
    }
    const other = this.page.counterpart(this.lastQuery?.withIdentity);
    if (!this.slots.length) {
      summary.textContent =
        `No free time in common with ${other.name} in these dates. ` +
        "Try other dates, a shorter length, or add more hours to your week below.";
      box.replaceChildren();
      $("more-slots").hidden = true;
      return;
    }
    const visible = this.slots.slice(0, this.shown);
    const n = this.slots.length;
    summary.textContent =
      `${n}${this.next ? "+" : ""} time${n === 1 && !this.next ? "" : "s"} when you and ${other.name} are both free, ` +
      `shown in your time (${placeName(visible[0].shown?.zone || zone)}).`;
    // The wall times the night's clock change repeats, among the times listed (each zone).
    this.repeats = repeatedWalls(this.slots.flatMap((s) => [s.shown.start, s.shown.end]));
    this.theirRepeats = repeatsByPerson(this.slots);
    const groups = new Map();
    for (const slot of visible) {
      const day = dateOf(slot.shown.start);
      if (!groups.has(day)) groups.set(day, { label: dayText(slot.shown.start), slots: [] });
      groups.get(day).slots.push(slot);
    }
    box.replaceChildren(
      ...[...groups.values()].map((group) =>
        el(
          "div",
          { class: "slot-day" },
          el("h3", {}, group.label),
          el("ul", { class: "slot-list" }, ...group.slots.map((slot) => this.slotItem(slot))),
        ),
      ),
    );
    $("more-slots").hidden = n <= this.shown && !this.next;
  }

  slotItem(slot) {
    const mine = spanText(slot.shown.start, slot.shown.end, { repeats: this.repeats });
    const entries = Object.entries(slot.local || {}).filter(([id]) => id !== this.page.me.identity);
    const others = entries.map(([identity, local]) => {
      // Their wall clock, smaller; a name only when there are several of them.
      const repeats = this.theirRepeats.get(identity);
      const theirs = `${dateTimeText(local.start, { repeats })} in ${placeName(local.zone)}`;
      const who = entries.length > 1 ? `${this.page.counterpart(identity, local.zone).name}: ` : "";
      return el("span", { class: "theirs", dataset: { identity } }, `${who}${theirs}`);
    });
    const verb = this.rescheduling ? "Move here" : "Book";
    const button = el(
      "button",
      { type: "button", class: "primary book", "aria-label": `${verb} ${dayText(slot.shown.start)}, ${mine}` },
      verb,
    );
    button.addEventListener("click", () => this.book(slot, button));
    return el(
      "li",
      { class: "slot", dataset: { start: slot.start } },
      el("span", { class: "slot-when" }, el("span", { class: "mine" }, mine), ...others),
      button,
    );
  }

  async book(slot, button) {
    if (this.busy) return;
    this.busy = true;
    for (const b of $("slots").querySelectorAll("button.book")) b.disabled = true;
    button.textContent = this.rescheduling ? "Moving…" : "Booking…";
    this.error("");
    const length = this.lastQuery.length;
    const moving = this.rescheduling;
    try {
      const result = moving
        ? await this.page.api.reschedule(moving.booking_id, { start: slot.start, length })
        : await this.page.api.book({ withIdentity: this.lastQuery.withIdentity, start: slot.start, length });
      this.page.learnFromBookings(listOf(result, "bookings").concat(result?.booking_id ? [result] : []));
      const who = this.page.counterpart(this.lastQuery.withIdentity).name;
      const span = spanText(slot.shown.start, slot.shown.end, { repeats: this.repeats });
      const when = `${dayText(slot.shown.start)}, ${span}`;
      if (moving) this.stopReschedule({ search: false });
      this.busy = false;
      await this.page.afterChange(
        `${moving ? "Moved" : "Booked"}: ${when} with ${who}.`,
        listOf(result, "bookings")[0]?.booking_id || result?.booking_id,
      );
    } catch (err) {
      this.busy = false;
      this.error(scheduleErrorText(err));
      this.page.status(scheduleErrorText(err));
      // The free times have changed (slot_taken: perhaps the other person just booked
      // it with you) or the request was refused: show what's true now.
      await Promise.all([this.search({ keepMessage: true }), this.page.upcoming.load()]);
      this.page.learnFromBookings(this.page.upcoming.bookings);
      if (["booking_not_found", "booking_cancelled"].includes(err.code)) {
        this.stopReschedule({ search: false });
        await this.page.afterChange("");
      }
    }
  }

  /** Look for a new time for `booking` (one other person; same length unless changed). */
  startReschedule(booking, other) {
    this.rescheduling = booking;
    const startMs = Date.parse(booking.start);
    const endMs = Date.parse(booking.end);
    $("reschedule-text").textContent =
      `Moving your session with ${other.name} on ${dayText(booking.shown.start)}, ` +
      `${spanText(booking.shown.start, booking.shown.end, { repeats: this.page.upcoming.repeats })}. ` +
      "Pick a new time below.";
    $("reschedule-banner").hidden = false;
    $("with-select").value = other.identity;
    $("with-select").disabled = true;
    const length = String(Math.round((endMs - startMs) / 60000));
    if ([...$("length-select").options].some((o) => o.value === length)) $("length-select").value = length;
    $("find").scrollIntoView({ block: "start" });
    $("find-heading").focus?.();
    this.search();
  }

  stopReschedule({ search = true } = {}) {
    if (!this.rescheduling) return;
    this.rescheduling = null;
    $("reschedule-banner").hidden = true;
    $("with-select").disabled = false;
    if (search) this.refresh();
  }
}

/** identity -> the wall times repeated among that person's own times of `slots`. */
function repeatsByPerson(slots) {
  return repeatedWallsBy(slots.flatMap((slot) => Object.entries(slot.local || {})));
}
