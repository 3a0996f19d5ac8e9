// Review of the matching: the proposed pairs with their scores and explanations, lock or
// unlock a pair, swap two mentees' mentors, run the matching again around the locked
// pairs, publish, and the introductions sent (three first-session times in both zones).

import { errorText } from "./api.js";
import { el } from "../schedule/availability.js";
import { dateTimeText, placeName, repeatedWalls } from "../shared/time.js";

const $ = (id) => document.getElementById(id);

function show(id, text) {
  $(id).textContent = text || "";
  $(id).hidden = !text;
}

/** What became of an intro, for the admin. */
export function stateText(intro, nameOf) {
  if (intro.state === "accepted") return `accepted by ${nameOf(intro.accepted_by)}`;
  if (intro.state === "booked") return "booked by the programme";
  if (intro.state === "cancelled") return "booked, then cancelled";
  return "proposed: no time picked yet";
}

export class Review {
  /** `page` gives api, programme, people, nameOf(), status() and refresh(). */
  constructor(page) {
    this.page = page;
    this.matching = null;
    this.swapFrom = null;
    this.intros = [];
  }

  bind() {
    $("run-matching").addEventListener("click", () => this.run());
    $("publish").addEventListener("click", () => this.publish());
    $("pairs-filter").addEventListener("input", () => this.renderPairs());
  }

  get id() {
    return this.page.programme.programme_id;
  }

  async load() {
    try {
      this.matching = await this.page.api.matching(this.id);
      this.intros = (await this.page.api.intros(this.id)).intros;
    } catch (err) {
      if (this.page.failed(err)) return;
      show("review-error", errorText(err));
    }
    this.render();
    this.renderIntros();
  }

  person(key) {
    const p = this.page.people.get(key);
    return el("span", { class: "name" }, this.page.nameOf(key),
      el("span", { class: "key muted" }, p ? `${placeName(p.zone)} · ${key}` : key));
  }

  render() {
    const m = this.matching;
    const imported = this.page.people.size > 0;
    $("run-matching").disabled = !imported;
    $("run-matching").textContent = m ? "Run again (keeps locked pairs)" : "Run matching";
    $("publish").hidden = !m || !m.pairs.length;
    const published = this.page.programme.published;
    $("publish").classList.toggle("primary", Boolean(m) && !published);
    $("run-matching").classList.toggle("primary", !m);
    // Publishing again introduces only pairs made since (after a swap or a re-run).
    $("publish").textContent = published ? "Publish changed pairs" : "Publish matches";
    if (!imported) {
      $("matching-summary").textContent = "Import people first.";
    } else if (!m) {
      $("matching-summary").textContent = "No matching yet: run it to see the proposed pairs.";
    } else {
      const locked = m.pairs.filter((p) => p.locked).length;
      $("matching-summary").textContent =
        `${m.pairs.length} pair${m.pairs.length === 1 ? "" : "s"}${locked ? ` (${locked} locked)` : ""}, ` +
        `${m.unmatched.length} not matched · total score ${m.total_score.toFixed(2)} · ${m.method}, fit: ${m.fit_model}` +
        (m.week_of ? ` · availability of the week of ${m.week_of}` : "");
    }
    $("pairs-box").hidden = !m?.pairs.length;
    $("unmatched-box").hidden = !m?.unmatched.length;
    this.renderPairs();
    if (m) {
      $("unmatched").tBodies[0].replaceChildren(...m.unmatched.map((u) =>
        el("tr", {}, el("td", {}, this.person(u.mentee)), el("td", {}, u.reason))));
    }
  }

  renderPairs() {
    const m = this.matching;
    if (!m) return;
    const words = $("pairs-filter").value.trim().toLowerCase();
    const shown = m.pairs.filter((p) => !words ||
      [this.page.nameOf(p.mentor), this.page.nameOf(p.mentee), p.mentor, p.mentee, p.explanation]
        .join(" ").toLowerCase().includes(words))
      .sort((a, b) => this.page.nameOf(a.mentee).localeCompare(this.page.nameOf(b.mentee), "en", { numeric: true }));
    $("pairs-count").textContent = words ? `${shown.length} of ${m.pairs.length} pairs` : "";
    const from = this.swapFrom;
    $("swap-note").hidden = !from;
    if (from) $("swap-note").textContent = `Swapping: pick the mentee whose mentor ${this.page.nameOf(from)} should get (or press Cancel).`;
    $("pairs").tBodies[0].replaceChildren(...shown.map((p) => {
      const lock = el("button", { type: "button", class: "small", "aria-pressed": String(p.locked),
        "aria-label": `${p.locked ? "Unlock" : "Lock"} ${this.page.nameOf(p.mentee)}'s pair`,
        onclick: () => this.lock(p.mentee, !p.locked) }, p.locked ? "Locked ✓" : "Lock");
      const swapLabel = !from ? "Swap…" : from === p.mentee ? "Cancel" : "Swap with this";
      const swap = el("button", { type: "button", class: "small",
        "aria-label": `${swapLabel} (${this.page.nameOf(p.mentee)})`,
        onclick: () => this.swapClick(p.mentee) }, swapLabel);
      return el("tr", { class: p.locked ? "locked" : "", dataset: { mentee: p.mentee } },
        el("td", {}, this.person(p.mentee)),
        el("td", {}, this.person(p.mentor)),
        el("td", { class: "num", title: `fit ${p.fit.toFixed(2)}, ${p.overlap_h} h/week in common` }, p.score.toFixed(2)),
        el("td", { class: "why" }, p.explanation),
        el("td", { class: "actions" }, lock, swap));
    }));
  }

  async act(work, done) {
    show("review-error", "");
    show("review-notice", "");
    try {
      this.matching = await work();
      if (done) show("review-notice", done);
      this.page.status(done || "Matching updated.");
    } catch (err) {
      if (this.page.failed(err)) return;
      show("review-error", errorText(err));
      this.page.status(errorText(err));
    }
    this.render();
  }

  async run() {
    $("run-matching").disabled = true;
    await this.act(() => this.page.api.runMatching(this.id),
      "Matching done: review the pairs below, lock the ones you want to keep, then publish.");
    await this.page.dashboard.load();
  }

  lock(mentee, locked) {
    return this.act(() => this.page.api.lock(this.id, mentee, locked));
  }

  async swapClick(mentee) {
    const from = this.swapFrom;
    if (!from) {
      this.swapFrom = mentee;
      this.renderPairs();
      return;
    }
    this.swapFrom = null;
    if (from === mentee) {
      this.renderPairs();
      return;
    }
    await this.act(() => this.page.api.swap(this.id, from, mentee),
      `Swapped the mentors of ${this.page.nameOf(from)} and ${this.page.nameOf(mentee)} (both pairs are now locked).`);
  }

  async publish() {
    $("publish").disabled = true;
    show("review-error", "");
    try {
      const answer = await this.page.api.publish(this.id);
      show("review-notice", `Published: ${answer.intros.length} pair${answer.intros.length === 1 ? "" : "s"} introduced. Each person sees their match on their schedule page.`);
      this.page.status("Matches published.");
      await this.page.refresh();
    } catch (err) {
      if (this.page.failed(err)) return;
      show("review-error", errorText(err));
    } finally {
      $("publish").disabled = false;
    }
  }

  /** The intros sent (GET .../intros): offered times and what became of them. */
  renderIntros() {
    $("intros").hidden = !this.intros.length;
    $("intro-table").tBodies[0].replaceChildren(...this.intros.map((i) => el("tr", { dataset: { state: i.state } },
      el("td", {}, this.person(i.mentee), " with ", this.person(i.mentor)),
      el("td", {}, i.offered.length
        ? el("ul", { class: "times" }, ...offeredTexts(i.offered).map((text, k) =>
          el("li", { class: i.session?.start === i.offered[k].start ? "chosen" : "" }, text)))
        : "No common time in the next two weeks"),
      el("td", { class: "state" }, stateText(i, (key) => this.page.nameOf(key))))));
  }
}

/** "Tue 1 Dec, 09:00 · Mon 30 Nov, 19:15" per offered time: for the mentor, then the
 * mentee (with its UTC offset when the offers give that wall time twice, a clock going back). */
function offeredTexts(offered) {
  const mentor = repeatedWalls(offered.map((s) => s.mentor_local));
  const mentee = repeatedWalls(offered.map((s) => s.mentee_local));
  return offered.map((slot) =>
    `${dateTimeText(slot.mentor_local, { repeats: mentor })} · ${dateTimeText(slot.mentee_local, { repeats: mentee })}`);
}
