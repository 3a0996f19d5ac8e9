// Your programme match (docs/programmes-api.md): whom you are matched with and why, the
// three proposed first-session times in your own time (and theirs), and an Accept button;
// a mentor with several mentees sees each match (`matches`), with its own times.
// Every time shown is the local time the server wrote (`mine`, `theirs`), never converted
// here. Hidden for people who are not in a programme or whose match is not published yet.

import { el } from "./availability.js";
import { ApiError } from "./api.js";
import { scheduleErrorText } from "./messages.js";
import { dateTimeText, placeName, repeatedWalls } from "../shared/time.js";

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

  /** Every match of the caller: a mentor with several mentees has one each. */
  matches() {
    return this.intro.matches?.length ? this.intro.matches : [this.intro];
  }

  render() {
    const intro = this.intro;
    $("match").hidden = !intro && $("match-error").hidden;
    if (!intro) {
      $("match-more").replaceChildren();
      return;
    }
    const [first, ...more] = this.matches();
    $("match-heading").textContent = `Your ${this.otherWord()}: ${first.other_name}`;
    $("match-programme").textContent =
      `${intro.programme} matched you with ${first.other_name}, who lives in ${placeName(first.other_zone)}.`;
    $("match-why").textContent = first.explanation;
    this.renderTimes(first, $("match-times-intro"), $("match-times"));
    $("match-more").replaceChildren(...more.map((m) => this.moreMatch(m)));
  }

  /** Another mentee's match, below the first: who, why, and their own offered times. */
  moreMatch(match) {
    const lead = el("p", { class: "match-times-intro" });
    const list = el("ul", { class: "match-times" });
    this.renderTimes(match, lead, list);
    return el("div", { class: "match-more" },
      el("h3", {}, `Your ${this.otherWord()}: ${match.other_name}`),
      el("p", {}, `${this.intro.programme} also matched you with ${match.other_name}, who lives in ${placeName(match.other_zone)}.`),
      el("p", { class: "why" }, el("strong", {}, "Why you two: "), el("span", { class: "match-why" }, match.explanation)),
      lead, list);
  }

  renderTimes(match, lead, list) {
    if (match.booking_id) {
      const booked = this.page.upcoming.bookings.find((b) => b.booking_id === match.booking_id);
      lead.textContent = booked
        ? `Your first session is booked for ${dateTimeText(booked.shown.start)} (your time): see Upcoming sessions.`
        : "Your first session is booked: you'll find it under Upcoming sessions.";
      list.replaceChildren();
      return;
    }
    lead.textContent = match.times.length
      ? `Pick a time for your first 30-minute session (shown in your time, ${placeName(this.intro.zone)}):`
      : "No common time was found in the next two weeks. Use \"Find a time\" below.";
    // With the UTC offset when the offers give a wall time twice (a clock going back).
    const repeats = {
      mine: repeatedWalls(match.times.map((o) => o.mine)),
      theirs: repeatedWalls(match.times.map((o) => o.theirs)),
    };
    list.replaceChildren(...match.times.map((t) => this.timeItem(t, match, repeats)));
  }

  timeItem(t, match, repeats) {
    const minutes = Math.round((Date.parse(t.end) - Date.parse(t.start)) / 60000);
    const mine = dateTimeText(t.mine, { repeats: repeats.mine });
    const theirs = `${minutes} minutes · ${dateTimeText(t.theirs, { repeats: repeats.theirs })} for ${match.other_name} in ${placeName(match.other_zone)}`;
    const button = el("button", { type: "button", class: "primary small", "aria-label": `Accept ${mine}` }, "Accept");
    button.addEventListener("click", () => this.accept(t, button, mine, match));
    return el("li", { class: "match-time", dataset: { start: t.start } },
      el("span", { class: "mine" }, mine), el("span", { class: "theirs muted" }, theirs), button);
  }

  async accept(t, button, text, match) {
    for (const b of $("match").querySelectorAll(".match-time button")) b.disabled = true;
    this.error("");
    try {
      const booked = await this.page.api.request("POST", `/api/programmes/${encodeURIComponent(this.intro.programme_id)}/intro/accept`, { start: t.start });
      const matches = this.matches().map((m) => (m === match ? { ...m, booking_id: booked.booking_id } : m));
      this.intro = { ...this.intro, matches, booking_id: matches[0].booking_id };
      await this.page.afterChange(`Booked: ${text} with ${match.other_name}.`, booked.booking_id);
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
