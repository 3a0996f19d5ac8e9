// Your programme match (docs/programmes-api.md): whom you are matched with and why, the
// three proposed first-session times in your own time (and theirs), and an Accept button.
// Every time shown is the local time the server wrote (`mine`, `theirs`), never converted
// here. Hidden for people who are not in a programme or whose match is not published yet.

import { el } from "./availability.js";
import { ApiError } from "./api.js";
import { scheduleErrorText } from "./messages.js";
import { dateTimeText, placeName } from "../shared/time.js";

const $ = (id) => document.getElementById(id);

const MATCH_ERROR_TEXT = {
  slot_not_offered: "That time is no longer one of the offered ones. The list has been refreshed.",
  booking_exists: "Your first session is already booked. You'll find it under Upcoming sessions.",
  intro_not_found: "Your match isn't published yet.",
};

export function matchErrorText(err) {
  return MATCH_ERROR_TEXT[err?.code] || scheduleErrorText(err);
}

export class MatchPanel {
  /** `page` gives api, status() and afterChange(). */
  constructor(page) {
    this.page = page;
    this.intro = null;
  }

  async load() {
    try {
      const query = new URLSearchParams({ zone: this.page.zone });
      this.intro = await this.page.api.request("GET", `/api/me/intro?${query}`);
    } catch (err) {
      this.intro = null;
      // Not in a programme, or nothing published yet: nothing to show.
      if (!(err instanceof ApiError && err.code === "intro_not_found")) this.error(matchErrorText(err));
    }
    this.render();
  }

  error(text) {
    $("match-error").textContent = text || "";
    $("match-error").hidden = !text;
  }

  otherWord() {
    return this.intro.role === "mentor" ? "mentee" : "mentor";
  }

  render() {
    const intro = this.intro;
    $("match").hidden = !intro && $("match-error").hidden;
    if (!intro) return;
    $("match-heading").textContent = `Your ${this.otherWord()}: ${intro.other_name}`;
    $("match-programme").textContent =
      `${intro.programme} matched you with ${intro.other_name}, who lives in ${placeName(intro.other_zone)}.`;
    $("match-why").textContent = intro.explanation;
    const list = $("match-times");
    if (intro.booking_id) {
      const booked = this.page.upcoming.bookings.find((b) => b.booking_id === intro.booking_id);
      $("match-times-intro").textContent = booked
        ? `Your first session is booked for ${dateTimeText(booked.shown.start)} (your time): see Upcoming sessions.`
        : "Your first session is booked: you'll find it under Upcoming sessions.";
      list.replaceChildren();
      return;
    }
    $("match-times-intro").textContent = intro.times.length
      ? `Pick a time for your first 30-minute session (shown in your time, ${placeName(intro.zone)}):`
      : "No common time was found in the next two weeks. Use \"Find a time\" below.";
    list.replaceChildren(...intro.times.map((t) => this.timeItem(t)));
  }

  timeItem(t) {
    const minutes = Math.round((Date.parse(t.end) - Date.parse(t.start)) / 60000);
    const mine = dateTimeText(t.mine);
    const theirs = `${minutes} minutes · ${dateTimeText(t.theirs)} for ${this.intro.other_name} in ${placeName(this.intro.other_zone)}`;
    const button = el("button", { type: "button", class: "primary small", "aria-label": `Accept ${mine}` }, "Accept");
    button.addEventListener("click", () => this.accept(t, button, mine));
    return el("li", { class: "match-time", dataset: { start: t.start } },
      el("span", { class: "mine" }, mine), el("span", { class: "theirs muted" }, theirs), button);
  }

  async accept(t, button, text) {
    for (const b of $("match-times").querySelectorAll("button")) b.disabled = true;
    this.error("");
    try {
      const booked = await this.page.api.request("POST", `/api/programmes/${encodeURIComponent(this.intro.programme_id)}/intro/accept`, { start: t.start });
      this.intro = { ...this.intro, booking_id: booked.booking_id };
      await this.page.afterChange(`Booked: ${text} with ${this.intro.other_name}.`, booked.booking_id);
      this.render();
    } catch (err) {
      this.error(matchErrorText(err));
      this.page.status(matchErrorText(err));
      await this.load();
    } finally {
      button.disabled = false;
    }
  }
}
