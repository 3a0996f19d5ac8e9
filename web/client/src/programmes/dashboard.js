// The dashboard (participation figures, coffee rounds over time as an SVG chart, each
// pair's progress) and the coffee rounds (run one, see its pairs and booked coffees).

import { errorText } from "./api.js";
import { roundsChart } from "./chart.js";
import { el } from "../schedule/availability.js";
import { dateTimeText, placeName } from "../shared/time.js";

const $ = (id) => document.getElementById(id);

function show(id, text) {
  $(id).textContent = text || "";
  $(id).hidden = !text;
}

const FIGURES = [
  ["mentors", "mentors"], ["mentees", "mentees"], ["matched", "pairs"],
  ["unmatched", "not matched"], ["first_sessions_booked", "first sessions booked"],
  ["sessions_held", "sessions held"], ["no_shows", "no-shows"], ["open_items", "open action items"],
];

export class Dashboard {
  constructor(page) {
    this.page = page;
  }

  bind() {
    $("run-coffee").addEventListener("click", () => this.runCoffee());
  }

  get id() {
    return this.page.programme.programme_id;
  }

  async load() {
    let d;
    try {
      d = await this.page.api.dashboard(this.id);
      show("dashboard-error", "");
    } catch (err) {
      if (this.page.failed(err)) return;
      show("dashboard-error", errorText(err));
      return;
    }
    const figures = { ...d, open_items: d.pairs.reduce((n, p) => n + (p.open_action_items || 0), 0) };
    $("figures").replaceChildren(...FIGURES.map(([key, label]) =>
      el("div", { class: "figure", dataset: { figure: key } }, el("dt", {}, label), el("dd", {}, String(figures[key])))));
    $("chart").replaceChildren(d.coffee_rounds.length
      ? roundsChart(d.coffee_rounds)
      : el("p", { class: "muted" }, "No coffee round yet: the chart fills in as rounds run."));
    $("progress-empty").hidden = d.pairs.length > 0;
    $("progress-box").hidden = !d.pairs.length;
    const name = (key) => this.page.nameOf(key);
    await this.loadRounds();
    $("progress").tBodies[0].replaceChildren(...d.pairs.map((p) => el("tr", {},
      el("td", { class: "who" }, name(p.mentee)), el("td", { class: "who" }, name(p.mentor)),
      el("td", { class: "num" }, String(p.sessions_held)), el("td", { class: "num" }, String(p.no_shows)),
      el("td", { class: "num" }, p.open_action_items === null ? "—" : String(p.open_action_items)),
      el("td", {}, p.next_session ? dateTimeText(p.next_session) : "none booked"))));
  }

  /** Past coffee rounds (GET .../coffee-rounds), newest first. */
  async loadRounds() {
    let rounds;
    try {
      ({ rounds } = await this.page.api.coffeeRounds(this.id));
    } catch (err) {
      if (this.page.failed(err)) return;
      show("coffee-error", errorText(err));
      return;
    }
    const name = (key) => this.page.nameOf(key);
    $("coffee-history-box").hidden = !rounds.length;
    $("coffee-history").replaceChildren(...rounds.map((r) => el("li", { dataset: { round: String(r.round_no) } },
      el("strong", {}, `Round ${r.round_no}`),
      r.sent_at ? ` (${dateTimeText(r.sent_at)} UTC): ` : ": ",
      r.pairs.length
        ? r.pairs.map((p) => `${name(p.mentor)} & ${name(p.mentee)} (${p.session ? (p.session.cancelled ? "cancelled" : "booked") : "not booked"})`).join(", ")
        : "nobody paired",
      r.sitting_out.length ? `; sitting out: ${r.sitting_out.map(name).join(", ")}` : "")));
  }

  async runCoffee() {
    $("run-coffee").disabled = true;
    show("coffee-error", "");
    try {
      const { intros } = await this.page.api.coffee(this.id);
      const pairs = intros.filter((i) => i.mentee);
      const out = intros.filter((i) => !i.mentee);
      const round = intros[0]?.round_no;
      $("coffee-summary").textContent =
        `Round ${round ?? ""}: ${pairs.length} pair${pairs.length === 1 ? "" : "s"}, ` +
        `${pairs.filter((i) => i.booking_id).length} coffee${pairs.length === 1 ? "" : "s"} booked` +
        (out.length ? `; sitting out: ${out.map((i) => this.page.nameOf(i.mentor)).join(", ")}` : "") + ".";
      $("coffee-box").hidden = !pairs.length;
      $("coffee-table").tBodies[0].replaceChildren(...pairs.map((i) => {
        const a = this.page.people.get(i.mentor);
        const b = this.page.people.get(i.mentee);
        const slot = i.slots[0];
        return el("tr", {},
          el("td", { class: "who" }, `${this.page.nameOf(i.mentor)} & ${this.page.nameOf(i.mentee)}`),
          el("td", {}, slot && i.booking_id
            ? `${dateTimeText(slot.mentor_local)} in ${placeName(a?.zone)} · ${dateTimeText(slot.mentee_local)} in ${placeName(b?.zone)}`
            : "not booked (no common time left)"));
      }));
      this.page.status("Coffee round done.");
      await this.load();
    } catch (err) {
      if (this.page.failed(err)) return;
      show("coffee-error", errorText(err));
    } finally {
      $("run-coffee").disabled = false;
    }
  }
}
