// The action items of the shared notes: the Y.Array `actions` of Y.Maps
// {id, text, owner, due?, done, created_in} (docs/protocol.md, Notes). Items still open
// from the pair's (or series') earlier sessions are in the document from the start; they
// are listed first, under "Open from earlier sessions".

import * as Y from "yjs";

const ACTIONS = "actions";

function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  for (const child of children) node.append(child);
  return node;
}

function newId() {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

export class ActionItems {
  /** `root`: the element to render into; `doc`: the shared Y.Doc. */
  constructor(root, doc) {
    this.root = root;
    this.doc = doc;
    this.actions = doc.getArray(ACTIONS);
    this.roomId = "";
    this.people = new Map(); // identity -> display name
    this.me = "";
    this.writable = true;
    this.actions.observeDeep(() => this.render());
    this.build();
    // a remote change while someone edits an item's field: redraw once they leave it
    this.root.addEventListener("focusout", () => setTimeout(() => {
      if (this.pending && !this.editingRow()) this.render();
    }));
  }

  build() {
    this.carried = el("ul", { className: "notes-items carried" });
    this.carriedBox = el("div", { className: "notes-carried", hidden: true }, [
      el("h3", { textContent: "Open from earlier sessions" }), this.carried,
    ]);
    this.list = el("ul", { className: "notes-items" });
    this.empty = el("p", { className: "notes-empty", textContent: "No action items yet." });
    this.text = el("input", { type: "text", maxLength: 2000, placeholder: "New action item…", required: true });
    this.text.setAttribute("aria-label", "New action item");
    this.owner = el("select");
    this.owner.setAttribute("aria-label", "Owner of the new item");
    this.due = el("input", { type: "date" });
    this.due.setAttribute("aria-label", "Due date (optional)");
    this.form = el("form", { className: "notes-add" }, [
      this.text, this.owner, this.due, el("button", { type: "submit", className: "small primary", textContent: "Add" }),
    ]);
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.add();
    });
    this.root.append(this.carriedBox, this.list, this.empty, this.form);
  }

  setContext({ roomId, me, people, writable }) {
    if (roomId !== undefined) this.roomId = roomId;
    if (me !== undefined) this.me = me;
    if (people !== undefined) this.people = people;
    if (writable !== undefined) this.writable = writable;
    this.fillOwners(this.owner, this.owner.value || this.me);
    this.form.hidden = !this.writable;
    this.render();
  }

  fillOwners(select, chosen, extra = "") {
    const names = new Map(this.people);
    if (extra && !names.has(extra)) names.set(extra, extra);
    select.replaceChildren(el("option", { value: "", textContent: "No owner" }));
    for (const [identity, name] of names) {
      const mine = identity === this.me ? " (you)" : "";
      select.append(el("option", { value: identity, textContent: `${name}${mine}` }));
    }
    select.value = names.has(chosen) ? chosen : "";
  }

  add() {
    const text = this.text.value.trim();
    if (!text || !this.writable) return;
    const entries = [["id", newId()], ["text", text], ["owner", this.owner.value],
      ["done", false], ["created_in", this.roomId]];
    if (this.due.value) entries.push(["due", this.due.value]);
    this.actions.push([new Y.Map(entries)]);
    this.text.value = "";
    this.due.value = "";
  }

  /** Open items of earlier sessions (for the toggle's count). */
  openCount() {
    return this.actions.toArray().filter((m) => m instanceof Y.Map && !m.get("done")).length;
  }

  editingRow() {
    const active = document.activeElement;
    return Boolean(active && this.root.contains(active) && active.closest(".notes-item")
      && active.matches("input[type=text], input[type=date], select"));
  }

  render() {
    if (this.editingRow()) {
      this.pending = true;
      return;
    }
    this.pending = false;
    const maps = this.actions.toArray().filter((m) => m instanceof Y.Map && typeof m.get("id") === "string");
    const carried = maps.filter((m) => m.get("created_in") && m.get("created_in") !== this.roomId && !m.get("done"));
    const here = maps.filter((m) => !carried.includes(m));
    this.carried.replaceChildren(...carried.map((m) => this.row(m)));
    this.carriedBox.hidden = carried.length === 0;
    this.list.replaceChildren(...here.map((m) => this.row(m)));
    this.empty.hidden = maps.length > 0;
    this.root.dispatchEvent(new CustomEvent("items-changed", { bubbles: true }));
  }

  row(map) {
    const id = map.get("id");
    const done = el("input", { type: "checkbox", checked: map.get("done") === true, disabled: !this.writable });
    done.setAttribute("aria-label", `Done: ${map.get("text") || "item"}`);
    done.addEventListener("change", () => map.set("done", done.checked));
    const text = el("input", { type: "text", className: "notes-item-text", value: map.get("text") || "",
      maxLength: 2000, readOnly: !this.writable, title: map.get("text") || "" });
    text.setAttribute("aria-label", "Action item");
    text.addEventListener("change", () => map.set("text", text.value.trim()));
    const owner = el("select", { disabled: !this.writable });
    owner.setAttribute("aria-label", "Owner");
    this.fillOwners(owner, map.get("owner") || "", map.get("owner") || "");
    owner.addEventListener("change", () => map.set("owner", owner.value));
    const due = el("input", { type: "date", value: map.get("due") || "", disabled: !this.writable });
    due.setAttribute("aria-label", "Due date");
    due.addEventListener("change", () => (due.value ? map.set("due", due.value) : map.delete("due")));
    const row = el("li", { className: `notes-item${map.get("done") ? " done" : ""}` }, [
      done, text, el("span", { className: "notes-item-meta" }, [owner, due]),
    ]);
    row.dataset.itemId = id;
    return row;
  }
}
