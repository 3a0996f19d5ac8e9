// The person's open action items: those of each mentoring pair they are in and each
// roundtable series they took part in (GET /api/notes/items, docs/notes-api.md). Ticking
// one closes it in the pair's or series' list and in the live notes of its sessions.

import { el } from "./availability.js";
import { listOf } from "./api.js";
import { scheduleErrorText } from "./messages.js";

const $ = (id) => document.getElementById(id);

export class ActionItemsList {
  /** `page` gives api, people (identity -> {name}) and status(). */
  constructor(page) {
    this.page = page;
    this.items = []; // {item, group}: group is a pair or series of GET /api/notes/items
  }

  async load() {
    const found = [];
    let failure = null;
    try {
      const data = await this.page.api.openItems();
      for (const group of listOf(data, "scopes")) {
        for (const item of listOf(group, "items")) if (!item.done) found.push({ item, group });
      }
    } catch (err) {
      failure = err;
    }
    this.items = found.sort((a, b) => (a.item.due || "9999").localeCompare(b.item.due || "9999"));
    this.error(failure ? scheduleErrorText(failure) : "");
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

  where(group) {
    if (group.kind === "series") return `in ${group.title || "your roundtable series"}`;
    return `with ${this.name(group.other)}`;
  }

  row({ item, group }) {
    const box = el("input", { type: "checkbox", "aria-label": `Done: ${item.text}` });
    box.addEventListener("change", () => this.close(item, group, box));
    const meta = [this.where(group)];
    if (item.owner) meta.push(`owner: ${this.name(item.owner)}`);
    if (item.due) meta.push(`due ${item.due}`);
    return el("li", { class: "action-item", dataset: { itemId: item.id } },
      el("label", { class: "action-text" }, box, ` ${item.text || "(no text)"}`),
      el("span", { class: "muted action-meta" }, meta.join(" · ")));
  }

  async close(item, group, box) {
    box.disabled = true;
    try {
      await this.page.api.setItemDone(group, item.id, box.checked);
      this.items = this.items.filter((entry) => entry.item.id !== item.id || entry.group.scope !== group.scope);
      this.render();
      this.page.status(`Closed "${item.text}".`);
    } catch (err) {
      box.checked = !box.checked;
      box.disabled = false;
      this.error(scheduleErrorText(err));
    }
  }
}
