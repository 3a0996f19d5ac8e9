// One notes document (the session's shared notes, or my private notes) kept in sync with
// the server over the call's Socket.IO connection: the y-protocols sync messages and
// awareness, each in one `notes` event (docs/protocol.md, Notes).
//
// The Y.Doc outlives connections: edits made while offline stay in it, and on every
// (re)join we send sync step 1; the server answers with what we lack and its own step 1,
// which we answer with step 2 — everything we made meanwhile. Nothing is sent while
// detached (socket.io would buffer it and replay it before `join`).

import * as Y from "yjs";
import * as syncProtocol from "y-protocols/sync";
import * as awarenessProtocol from "y-protocols/awareness";
import * as encoding from "lib0/encoding";
import * as decoding from "lib0/decoding";

const MESSAGE_SYNC = 0;
const MESSAGE_AWARENESS = 1;
const ACK_TIMEOUT_MS = 15000;

export class DocSync {
  /** `name`: "shared" or "private"; `onRefused(code, message)`: a refused message. */
  constructor(name, { onRefused, onSynced } = {}) {
    this.name = name;
    this.doc = new Y.Doc();
    this.awareness = new awarenessProtocol.Awareness(this.doc);
    this.onRefused = onRefused || (() => {});
    this.onSynced = onSynced || (() => {});
    this.socket = null;
    this.synced = false;
    this.doc.on("update", (update, origin) => {
      if (origin !== this) this.sendSync(syncProtocol.messageYjsUpdate, update);
    });
    this.awareness.on("update", ({ added, updated, removed }, origin) => {
      if (origin !== "local") return;
      const mine = [...added, ...updated, ...removed].filter((id) => id === this.doc.clientID);
      if (mine.length) this.sendAwareness(mine);
    });
  }

  /** Joined (or joined again): sync from scratch over `socket`. */
  attach(socket) {
    this.socket = socket;
    this.synced = false;
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MESSAGE_SYNC);
    syncProtocol.writeSyncStep1(encoder, this.doc);
    this.send(encoding.toUint8Array(encoder));
    if (this.awareness.getLocalState() !== null) this.sendAwareness([this.doc.clientID]);
  }

  /** The connection dropped: keep editing locally; forget the others' cursors. */
  detach() {
    this.socket = null;
    this.synced = false;
    const others = [...this.awareness.getStates().keys()].filter((id) => id !== this.doc.clientID);
    awarenessProtocol.removeAwarenessStates(this.awareness, others, this);
  }

  /** A `notes` event from the server for this document. */
  receive(bytes) {
    const decoder = decoding.createDecoder(bytes);
    const kind = decoding.readVarUint(decoder);
    if (kind === MESSAGE_AWARENESS) {
      const before = new Set(this.awareness.getStates().keys());
      awarenessProtocol.applyAwarenessUpdate(this.awareness, decoding.readVarUint8Array(decoder), this);
      // the server keeps no presence: tell someone new that we are here too
      const newcomer = [...this.awareness.getStates().keys()].some((id) => !before.has(id));
      if (newcomer && this.awareness.getLocalState() !== null) this.sendAwareness([this.doc.clientID]);
      return;
    }
    if (kind !== MESSAGE_SYNC) return;
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MESSAGE_SYNC);
    const step = syncProtocol.readSyncMessage(decoder, encoder, this.doc, this);
    if (encoding.length(encoder) > 1) this.send(encoding.toUint8Array(encoder));
    if (step === syncProtocol.messageYjsSyncStep1 && !this.synced) {
      // the server's step 1 comes after its step 2: we have everything it had
      this.synced = true;
      this.onSynced();
    }
  }

  sendSync(step, update) {
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MESSAGE_SYNC);
    encoding.writeVarUint(encoder, step);
    encoding.writeVarUint8Array(encoder, update);
    this.send(encoding.toUint8Array(encoder));
  }

  sendAwareness(clients) {
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MESSAGE_AWARENESS);
    encoding.writeVarUint8Array(encoder, awarenessProtocol.encodeAwarenessUpdate(this.awareness, clients));
    this.send(encoding.toUint8Array(encoder));
  }

  send(message) {
    const socket = this.socket;
    if (!socket || !socket.connected) return;
    socket.timeout(ACK_TIMEOUT_MS).emit("notes", { doc: this.name, message }, (err, ack) => {
      if (err) return; // a dropped connection: the next attach syncs everything again
      if (ack && !ack.ok) this.onRefused(ack.error?.code || "internal_error", ack.error?.message || "");
    });
  }

  destroy() {
    this.socket = null;
    this.awareness.destroy();
    this.doc.destroy();
  }
}

export { Y };
