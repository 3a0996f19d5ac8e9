// Recording on the call page (docs/protocol.md, "Recording"): the Record/Stop button for
// those allowed (the link's record grant and the room's rule, `who_may_record`), the
// consent dialog, the persistent red "Recording" indicator with who is and who is not
// recorded. The server decides everything; this module shows its `recording_state` and
// `recording_policy` and sends `start_recording`, `stop_recording` and `recording_consent`.
// Only what someone publishes is recorded: an observer (a link that may not publish) is
// not asked, and nobody is listed as recorded who publishes nothing.

import { describeError } from "../messages.js";

const $ = (id) => document.getElementById(id);
const NOTE_MS = 10000;

export class RecordingController {
  constructor(client) {
    this.client = client;
    this.state = { recording: false };
    this.asked = null; // the recording id whose consent question this page has shown
    this.whoMayRecord = null; // the room's rule from the join ack: mentor, either, hosts
    this.busy = false;
    this.noteTimer = null;
    $("rec-button")?.addEventListener("click", () => this.toggle());
    $("rec-accept")?.addEventListener("click", () => this.answer(true));
    $("rec-decline")?.addEventListener("click", () => this.answer(false));
    $("rec-change")?.addEventListener("click", () => this.ask());
    $("rec-consent")?.addEventListener("cancel", (event) => event.preventDefault());
  }

  bind(socket) {
    socket.on("recording_state", (msg) => {
      if (socket === this.client.socket) this.update(msg);
    });
    socket.on("recording_policy", (msg) => {
      if (socket !== this.client.socket) return;
      this.whoMayRecord = policyOf(msg);
      this.render();
    });
    socket.on("recording_error", (msg) => {
      if (socket !== this.client.socket) return;
      this.client.status(describeError(msg));
      this.showNote(describeError(msg));
    });
  }

  onJoined(ack) {
    this.whoMayRecord = policyOf(ack);
    this.update(ack.recording || { recording: false });
  }

  reset() {
    this.update({ recording: false });
  }

  // ---- who may, who is ---------------------------------------------------

  get mayRecord() {
    const client = this.client;
    if (!client.me || client.claims?.grants?.record !== true) return false;
    if (client.roundtable.active) return client.roundtable.model.iAmHosting;
    if (client.me.role === "mentor") return true;
    return client.me.role === "mentee" && this.whoMayRecord === "either";
  }

  /** Whether anything of `identity`'s can be recorded: they publish camera or microphone. */
  publishes(identity) {
    const client = this.client;
    if (identity === client.me?.identity) {
      return client.mayPublish && Boolean(client.localStream?.getTracks().length);
    }
    return Boolean(client.participants.get(identity)?.tracks?.length);
  }

  /** Why someone who publishes nothing is not recorded. */
  watchingOnly(identity) {
    const client = this.client;
    if (identity === client.me?.identity) return !client.mayPublish;
    const p = client.participants.get(identity);
    const role = client.roundtable.active ? client.roundtable.model.roleOf(identity, p?.role) : p?.role;
    return role === "observer";
  }

  nameOf(identity) {
    const client = this.client;
    if (identity === client.me?.identity) return "you";
    return client.participants.get(identity)?.display_name || "someone who left";
  }

  myAnswer() {
    return this.state.consent?.[this.client.me?.identity] || null;
  }

  // ---- state from the server ----------------------------------------------

  update(state) {
    const before = this.state;
    this.state = state && state.recording ? state : { recording: false };
    if (!this.state.recording) {
      this.asked = null;
      this.closeDialog();
      if (before.recording) this.showNote("The recording has stopped.", NOTE_MS);
    } else if (!before.recording) {
      this.showNote("");
    }
    const mine = this.myAnswer();
    // An observer publishes nothing: nothing of theirs could be recorded, so no question.
    if (this.state.recording && !mine && this.asked !== this.state.recording_id
        && this.client.mayPublish) this.ask();
    this.render();
  }

  render() {
    const state = this.state;
    const button = $("rec-button");
    if (button) {
      button.hidden = !this.mayRecord;
      button.textContent = state.recording ? "Stop recording" : "Record";
      button.setAttribute("aria-pressed", String(Boolean(state.recording)));
      button.classList.toggle("recording", Boolean(state.recording));
      button.disabled = this.busy;
    }
    const indicator = $("rec-indicator");
    if (!indicator) return;
    indicator.hidden = !state.recording;
    document.body.classList.toggle("is-recording", Boolean(state.recording));
    if (!state.recording) return;
    const recorded = [];
    const notRecorded = [];
    const others = [...this.client.participants.keys()];
    const people = [this.client.me?.identity, ...others].filter(Boolean);
    for (const identity of people) {
      const answer = state.consent?.[identity];
      const name = this.nameOf(identity);
      if (this.watchingOnly(identity)) notRecorded.push(`${name} (watching only)`);
      else if (answer === "accepted" && this.publishes(identity)) recorded.push(name);
      else if (answer === "accepted") notRecorded.push(`${name} (no camera or microphone)`);
      else notRecorded.push(`${name} (${answer ? "declined" : "not answered yet"})`);
    }
    $("rec-who").textContent = recorded.length ? `Recorded: ${recorded.join(", ")}` : "Nobody is recorded yet";
    const missing = $("rec-missing");
    missing.hidden = !notRecorded.length;
    missing.textContent = notRecorded.length ? `Not recorded: ${notRecorded.join(", ")}` : "";
    const mine = this.myAnswer();
    // Not "Stop recording me": beside a host's "Stop recording" button that reads alike.
    $("rec-change").textContent = mine === "accepted" ? "Don't record me" : "Record me";
    $("rec-change").hidden = !mine || !this.client.mayPublish;
  }

  /** A line under the top bar; gone after `forMs` when given. */
  showNote(text, forMs = 0) {
    const note = $("rec-note");
    if (!note) return;
    clearTimeout(this.noteTimer);
    note.textContent = text;
    note.hidden = !text;
    if (text && forMs) this.noteTimer = setTimeout(() => this.showNote(""), forMs);
  }

  // ---- the consent question ------------------------------------------------

  ask() {
    const dialog = $("rec-consent");
    if (!dialog || !this.state.recording) return;
    this.asked = this.state.recording_id;
    const starter = this.state.started_by;
    const who = starter === this.client.me?.identity ? "You" : this.nameOf(starter);
    $("rec-consent-who").textContent = `${who} started recording this call.`;
    const mine = this.myAnswer();
    $("rec-consent-now").textContent = mine === "accepted"
      ? "You are being recorded now."
      : mine ? "You are not being recorded now." : "";
    if (!dialog.open) dialog.showModal();
  }

  closeDialog() {
    const dialog = $("rec-consent");
    if (dialog?.open) dialog.close();
  }

  async answer(accepted) {
    this.closeDialog();
    try {
      const ack = await this.client.request("recording_consent", { accepted });
      this.update(ack.recording);
      this.client.status(accepted
        ? "You accepted: your camera and microphone are recorded from now on."
        : "You declined: your camera and microphone are not recorded.");
    } catch (err) {
      this.client.status(describeError(err));
    }
  }

  // ---- start and stop ------------------------------------------------------

  async toggle() {
    if (this.busy) return;
    this.busy = true;
    this.render();
    const stopping = this.state.recording;
    try {
      const ack = await this.client.request(stopping ? "stop_recording" : "start_recording", {});
      if (!stopping) this.update(ack.recording);
      this.client.status(stopping ? "You stopped the recording." : "You started recording. Everyone is asked for their consent.");
    } catch (err) {
      this.client.status(describeError(err));
    } finally {
      this.busy = false;
      this.render();
    }
  }
}

/** The room's recording policy a join ack or `recording_policy` event names (null: none). */
function policyOf(msg) {
  return typeof msg?.who_may_record === "string" ? msg.who_may_record : null;
}
