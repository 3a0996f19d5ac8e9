// The person's open action items: every open item of each mentoring pair they are in
// (GET /api/notes/pairs/{other}/items, docs/notes-api.md). Ticking one closes it in the
// pair's list and in the live notes of the pair's sessions.

import { el } from "./availability.js";
import { listOf } from "./api.js";
import { scheduleErrorText } from "./messages.js";

const $ = (id) => document.getElementById(id);

export class ActionItemsList {
  /** `page` gives api, people (identity -> {name}) and status(). */
  constructor(page) {
    this.page = page;
    this.items = []; // {item, other}
  }

  async load() {
    const others = [...this.page.people.keys()];
    const found = [];
    const failures = [];
    await Promise.all(others.map(async (other) => {
      try {
        const data = await this.page.api.pairItems(other);
        for (const item of listOf(data, "items")) if (!item.done) found.push({ item, other });
      } catch (err) {
        if (err.code !== "forbidden") failures.push(err);
      }
    }));
    this.items = found.sort((a, b) => (a.item.due || "9999").localeCompare(b.item.due || "9999"));
    this.error(failures.length ? scheduleErrorText(failures[0]) : "");
    this.render();
  }

  error(text) {
    $("actions-error").textContent = text || "";
    $("actions-error").hidden = !text;
  }

  name(identity) {
    if (!identity) return "";
    if (identity === this.page.me?.identity) return "you";
    return this.page.people.get(identity)?.name || identity;
  }

  render() {
    $("actions").hidden = false;
    $("actions-empty").hidden = this.items.length > 0;
    $("actions-list").replaceChildren(...this.items.map((entry) => this.row(entry)));
  }

  row({ item, other }) {
    const box = el("input", { type: "checkbox", "aria-label": `Done: ${item.text}` });
    box.addEventListener("change", () => this.close(item, other, box));
    const meta = [`with ${this.name(other)}`];
    if (item.owner) meta.push(`owner: ${this.name(item.owner)}`);
    if (item.due) meta.push(`due ${item.due}`);
    return el("li", { class: "action-item", dataset: { itemId: item.id } },
      el("label", { class: "action-text" }, box, ` ${item.text || "(no text)"}`),
      el("span", { class: "muted action-meta" }, meta.join(" · ")));
  }

  async close(item, other, box) {
    box.disabled = true;
    try {
      await this.page.api.setPairItemDone(other, item.id, box.checked);
      this.items = this.items.filter((entry) => entry.item.id !== item.id);
      this.render();
      this.page.status(`Closed "${item.text}".`);
    } catch (err) {
      box.checked = !box.checked;
      box.disabled = false;
      this.error(scheduleErrorText(err));
    }
  }
}
