// The notes side panel of the call page: shared notes (Markdown, live with everyone in
// the session, with who is editing and their cursors), my private notes, and the action
// items. Built into /static/call/notes.js (one bundle with yjs and CodeMirror; build.mjs).
//
// CallClient (app.js, signaling.js) tells the panel when it joined a room (`joined`),
// who is in the call (`setPeople`) and when the connection dropped (`offline`).
// "Download notes (.md)" saves the session's export (GET /api/notes/sessions/{room_id},
// read with the page's own join token: `tokenSource`).

import { DocSync } from "./sync.js";
import { NotesEditor } from "./editor.js";
import { ActionItems } from "./items.js";

const COLORS = ["#1f6f78", "#b5477a", "#7a5cc2", "#c2671f", "#2f7d32", "#1f5fa8", "#455a64", "#a23b3b"];
const READ_ONLY_TEXT = "You're observing this session: you can read the notes but not change them.";
const REFUSED_TEXT = {
  notes_read_only: READ_ONLY_TEXT,
  notes_too_large: "The notes are full: your last change was not saved. Shorten them or start a new page of notes elsewhere.",
  invalid_update: "A change to the notes could not be saved.",
  rate_limited: "You're changing the notes very fast; some changes wait a moment.",
  payload_too_large: "That change is too large to save in one go.",
};
const WIDE_SCREEN_PX = 1200;

function colorOf(identity) {
  let hash = 0;
  for (const ch of identity) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return COLORS[hash % COLORS.length];
}

export class NotesPanel {
  constructor(doc = document) {
    this.root = doc.getElementById("notes-panel");
    this.toggle = doc.getElementById("notes-toggle");
    this.presence = doc.getElementById("notes-presence");
    this.readOnlyNote = doc.getElementById("notes-read-only");
    this.error = doc.getElementById("notes-error");
    this.body = doc.body;
    this.roomId = null;
    this.socket = null;
    this.me = null;
    this.people = new Map();
    this.writable = true;
    this.openedOnce = false;
    this.toggle.addEventListener("click", () => this.setOpen(!this.isOpen()));
    this.root.querySelector("[data-notes=close]").addEventListener("click", () => this.setOpen(false));
    this.downloadButton = this.root.querySelector("[data-notes=download]");
    this.downloadButton.addEventListener("click", () => this.download());
    this.tokenSource = () => null;
    for (const tab of this.root.querySelectorAll("[role=tab]")) {
      tab.addEventListener("click", () => this.showTab(tab.dataset.tab));
    }
    this.root.addEventListener("items-changed", () => this.updateToggle());
  }

  isOpen() {
    return !this.root.hidden;
  }

  setOpen(open) {
    this.root.hidden = !open;
    this.body.classList.toggle("notes-open", open);
    this.toggle.setAttribute("aria-pressed", String(open));
    this.updateToggle();
    if (open && this.shared) requestAnimationFrame(() => this.sharedEditor?.view.requestMeasure());
  }

  showTab(name) {
    for (const tab of this.root.querySelectorAll("[role=tab]")) {
      tab.setAttribute("aria-selected", String(tab.dataset.tab === name));
    }
    for (const section of this.root.querySelectorAll("[data-tab-panel]")) {
      section.hidden = section.dataset.tabPanel !== name;
    }
  }

  updateToggle() {
    const open = this.items ? this.items.openCount() : 0;
    const label = this.isOpen() ? "Hide notes" : "Notes";
    this.toggle.textContent = open ? `${label} (${open} open)` : label;
  }

  /** Joined `room` as `me` on `socket` (first join, a reconnect, or another room). */
  joined(socket, me, room, participants) {
    if (socket !== this.socket) {
      socket.on("notes", (msg) => this.onMessage(socket, msg));
      this.socket = socket;
    }
    this.me = me;
    if (room.room_id !== this.roomId) this.reset(room.room_id);
    this.setPeople(participants);
    this.setWritable(me.role !== "observer", READ_ONLY_TEXT);
    const user = { name: me.display_name, color: colorOf(me.identity), colorLight: `${colorOf(me.identity)}33` };
    this.shared.awareness.setLocalStateField("user", user);
    this.shared.attach(socket);
    this.private.attach(socket);
    this.renderPresence();
    this.toggle.hidden = false;
    if (!this.openedOnce) {
      this.openedOnce = true;
      this.setOpen(window.innerWidth >= WIDE_SCREEN_PX);
    }
  }

  /** A fresh pair of documents and editors (a new room, or our edits were refused). */
  reset(roomId) {
    this.roomId = roomId;
    this.shared?.destroy();
    this.private?.destroy();
    this.sharedEditor?.destroy();
    this.privateEditor?.destroy();
    const refused = (name) => (code, message) => this.onRefused(name, code, message);
    this.shared = new DocSync("shared", { onRefused: refused("shared"), onSynced: () => this.updateToggle() });
    this.private = new DocSync("private", { onRefused: refused("private") });
    const sharedHost = this.root.querySelector("[data-notes=shared-editor]");
    const privateHost = this.root.querySelector("[data-notes=private-editor]");
    const itemsHost = this.root.querySelector("[data-notes=items]");
    sharedHost.replaceChildren();
    privateHost.replaceChildren();
    itemsHost.replaceChildren();
    this.sharedEditor = new NotesEditor(sharedHost, this.shared.doc.getText("notes"), this.shared.awareness,
      { label: "Shared notes" });
    this.privateEditor = new NotesEditor(privateHost, this.private.doc.getText("notes"), this.private.awareness,
      { label: "My private notes" });
    this.items = new ActionItems(itemsHost, this.shared.doc);
    this.items.setContext({ roomId, me: this.me?.identity || "", people: this.peopleNames(), writable: this.writable });
    this.shared.awareness.on("change", () => this.renderPresence());
    this.renderPresence();
    this.error.hidden = true;
    this.sharedEditor.setWritable(this.writable);
  }

  setPeople(participants) {
    this.people = new Map(participants || []);
    this.items?.setContext({ people: this.peopleNames(), me: this.me?.identity || "" });
  }

  peopleNames() {
    const names = new Map();
    if (this.me) names.set(this.me.identity, this.me.display_name);
    for (const [identity, p] of this.people) names.set(identity, p.display_name || identity);
    return names;
  }

  setWritable(writable, why) {
    this.writable = writable;
    this.sharedEditor?.setWritable(writable);
    this.items?.setContext({ writable });
    this.readOnlyNote.textContent = why;
    this.readOnlyNote.hidden = writable;
  }

  /** A roundtable role changed (an observer promoted, or the reverse). */
  roleChanged(role) {
    const writable = role !== "observer";
    if (this.shared && writable !== this.writable) this.setWritable(writable, READ_ONLY_TEXT);
  }

  offline() {
    this.shared?.detach();
    this.private?.detach();
    this.renderPresence();
  }

  onMessage(socket, msg) {
    if (socket !== this.socket || !msg || !msg.message) return;
    const bytes = new Uint8Array(msg.message);
    const target = msg.doc === "private" ? this.private : this.shared;
    try {
      target?.receive(bytes);
    } catch (err) {
      console.error("mentorcall: a notes message could not be read", err);
    }
  }

  onRefused(name, code, message) {
    if (code === "notes_read_only") {
      // our edits were not applied anywhere: start again from the server's document
      this.setWritable(false, READ_ONLY_TEXT);
      const socket = this.socket;
      this.reset(this.roomId);
      if (socket?.connected) {
        this.shared.attach(socket);
        this.private.attach(socket);
      }
      return;
    }
    if (code === "not_joined" || code === "lobby_waiting") return; // a rejoin syncs again
    this.error.textContent = REFUSED_TEXT[code] || message || "A change to the notes could not be saved.";
    this.error.hidden = false;
    console.warn(`mentorcall: ${name} notes refused: ${code}`);
  }

  renderPresence() {
    if (!this.shared) return;
    const names = [];
    for (const [clientId, state] of this.shared.awareness.getStates()) {
      if (clientId === this.shared.doc.clientID || !state?.user?.name) continue;
      names.push(state.user);
    }
    this.presence.replaceChildren();
    if (!names.length) {
      const offline = this.writable ? "Offline: your changes are kept and sent when you're back." : "Offline: reconnecting…";
      this.presence.textContent = this.shared.socket ? "Nobody else has the notes open." : offline;
      return;
    }
    this.presence.append("Here: ");
    names.forEach((user, i) => {
      const tag = document.createElement("span");
      tag.className = "notes-person";
      tag.style.setProperty("--who", user.color || "#56606b");
      tag.textContent = user.name;
      this.presence.append(tag);
      if (i < names.length - 1) this.presence.append(" ");
    });
  }

  /** Save the session's notes as a Markdown file (what the server holds of them). */
  async download() {
    const token = this.tokenSource();
    if (!token || !this.roomId) return;
    const roomId = this.roomId;
    this.downloadButton.disabled = true;
    try {
      const response = await fetch(`/api/notes/sessions/${encodeURIComponent(roomId)}`, {
        headers: { Authorization: `Bearer ${token}` },
        cache: "no-store",
      });
      if (!response.ok) {
        const body = await response.json().catch(() => null);
        const message = response.status === 404
          ? "There are no notes to download yet."
          : body?.error?.message || "The notes could not be downloaded.";
        this.error.textContent = message;
        this.error.hidden = false;
        return;
      }
      const file = new Blob([await response.text()], { type: "text/markdown;charset=utf-8" });
      const url = URL.createObjectURL(file);
      const link = document.createElement("a");
      link.href = url;
      link.download = `notes-${roomId}.md`;
      link.hidden = true;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      this.error.hidden = true;
    } catch (err) {
      this.error.textContent = "The notes could not be downloaded: check your connection.";
      this.error.hidden = false;
      console.warn("mentorcall: notes download failed", err);
    } finally {
      this.downloadButton.disabled = false;
    }
  }

  /** Test hooks: the texts and items as this page sees them. */
  snapshot() {
    return {
      shared: this.shared?.doc.getText("notes").toString() ?? "",
      private: this.private?.doc.getText("notes").toString() ?? "",
      items: this.shared ? this.shared.doc.getArray("actions").toJSON() : [],
      editorText: this.sharedEditor?.text() ?? "",
      synced: Boolean(this.shared?.synced),
      writable: this.writable,
      presence: this.presence.textContent,
    };
  }
}
