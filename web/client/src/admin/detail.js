// One recording: its player, files with downloads, consent log, and deletion.

import { ApiError } from "./api.js";
import {
  DECISIONS, FILE_KINDS, duration, moment, nameOf, roomOf, sentence, size, when,
} from "./format.js";
import { progress, stateBadge } from "./list.js";

const $ = (id) => document.getElementById(id);
const MAX_LINK_RETRIES = 2; // a link that expired during playback is renewed

/** What the player shows: the composed file, else a video track, else an audio track. */
export function playable(recording) {
  const files = recording.files;
  return files.find((f) => f.kind === "composed")
    || files.find((f) => f.kind === "track" && f.track_kind === "video")
    || files.find((f) => f.kind === "track" && f.track_kind === "audio")
    || null;
}

function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function fileWhat(recording, file) {
  if (file.kind !== "track") return FILE_KINDS[file.kind] || file.kind;
  return `${file.peer ? nameOf(recording, file.peer) : "?"} · ${file.track_kind || "track"}`;
}

/** A table cell naming a person: their display name, their identity below it. */
function personCell(recording, identity) {
  const td = document.createElement("td");
  const id = document.createElement("div");
  id.className = "mono muted identity";
  id.textContent = identity;
  td.append(nameOf(recording, identity), id);
  return td;
}

export class Detail {
  constructor(api, { onDeleted, onSignedOut, canDelete }) {
    this.api = api;
    this.onDeleted = onDeleted;
    this.onSignedOut = onSignedOut;
    this.canDelete = canDelete;
    this.recording = null;
    this.playing = null; // name of the file in the player
    this.chosen = false; // the admin picked that file: a refresh keeps it
    this.retries = 0;
    $("detail-close").addEventListener("click", () => this.close());
    $("delete").addEventListener("click", () => this.askDelete());
    $("confirm-cancel").addEventListener("click", () => this.cancelDelete());
    $("confirm-delete").addEventListener("click", () => this.confirmDelete());
    $("player").addEventListener("error", () => this.renewLink());
  }

  get id() {
    return this.recording ? this.recording.recording_id : null;
  }

  fail(error) {
    if (error instanceof ApiError && error.signedOut) {
      this.onSignedOut(error);
      return;
    }
    $("detail-error").textContent = sentence(error);
    $("detail-error").hidden = false;
  }

  async open(id) {
    try {
      const recording = await this.api.recording(id);
      if (this.id !== id) this.reset();
      this.show(recording);
      $("detail").hidden = false;
      $("detail").scrollIntoView({ block: "start" });
      $("detail-heading").focus({ preventScroll: true });
    } catch (error) {
      this.fail(error);
    }
  }

  reset() {
    const player = $("player");
    player.pause();
    player.removeAttribute("src");
    player.load();
    player.hidden = true;
    this.playing = null;
    this.chosen = false;
    this.retries = 0;
    $("detail-error").hidden = true;
    this.cancelDelete();
  }

  close() {
    this.reset();
    this.recording = null;
    $("detail").hidden = true;
  }

  /** Show (or refresh, keeping the player going) ``recording``. */
  show(recording) {
    this.recording = recording;
    const heading = $("detail-heading");
    heading.replaceChildren(`${roomOf(recording)} · ${when(recording.started_at)} `,
      stateBadge(recording.state));
    const meta = [`Length ${duration(recording.duration_s)}`,
      `started by ${nameOf(recording, recording.started_by)}`,
      `participants ${recording.participants.map((who) => nameOf(recording, who)).join(", ")}`];
    if (recording.booking_id) meta.push(`booking ${recording.booking_id}`);
    $("detail-meta").textContent = meta.join(" · ");
    $("detail-notes").href = recording.notes_url; // the session's notes, as Markdown
    $("detail-progress").replaceChildren(progress(recording.composition));
    this.showFiles(recording);
    this.showConsent(recording);
    this.showDelete(recording);
    this.choosePlayer(recording);
  }

  showFiles(recording) {
    const rows = recording.files.map((file) => {
      const tr = document.createElement("tr");
      const action = document.createElement("td");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "small download";
      button.textContent = "Download";
      button.setAttribute("aria-label", `Download ${file.name}`);
      button.addEventListener("click", () => this.download(file.name));
      if (file.name.endsWith(".webm")) {
        const play = document.createElement("button");
        play.type = "button";
        play.className = "small play";
        play.textContent = file.name === this.playing ? "Playing" : "Play";
        play.disabled = file.name === this.playing;
        play.setAttribute("aria-label", `Play ${file.name}`);
        play.addEventListener("click", () => this.play(file));
        action.append(play, " ");
      }
      action.append(button);
      tr.append(cell(file.name, "mono"), cell(fileWhat(recording, file)),
        cell(size(file.size), "num"), action);
      return tr;
    });
    if (!rows.length) {
      const tr = document.createElement("tr");
      const td = cell("No files yet: they appear once someone who consented is recorded.",
        "muted");
      td.colSpan = 4;
      tr.append(td);
      rows.push(tr);
    }
    $("files").replaceChildren(...rows);
  }

  showConsent(recording) {
    const rows = recording.consent.map((entry) => {
      const tr = document.createElement("tr");
      tr.className = `decision-${entry.decision}`;
      tr.append(personCell(recording, entry.identity), cell(moment(entry.at)),
        cell(DECISIONS[entry.decision] || entry.decision, "decision"),
        cell(entry.session_id, "mono muted"));
      return tr;
    });
    $("consent").replaceChildren(...rows);
    $("consent-empty").hidden = rows.length > 0;
    $("consent-table").hidden = rows.length === 0;
  }

  showDelete(recording) {
    const locked = $("delete-locked");
    const button = $("delete");
    if (!this.canDelete) {
      button.hidden = true;
      locked.hidden = false;
      locked.textContent = "Deleting a recording takes the admin key.";
    } else if (recording.state === "recording") {
      button.hidden = false;
      button.disabled = true;
      locked.hidden = false;
      locked.textContent = "This recording is still running: it can be deleted once it stops.";
    } else {
      button.hidden = false;
      button.disabled = false;
      locked.hidden = true;
    }
  }

  async choosePlayer(recording) {
    const file = playable(recording);
    const player = $("player");
    const label = $("player-label");
    if (!file) {
      player.hidden = true;
      label.textContent = recording.state === "recording"
        ? "Nothing to play yet: the recording is still running."
        : "Nothing to play: this recording has no audio or video file.";
      return;
    }
    if (file.name === this.playing) return;
    if (this.chosen && recording.files.some((f) => f.name === this.playing)) return;
    if (this.playing && !player.paused) return; // keep what the admin is watching
    await this.load(recording, file,
      file.kind === "composed" ? `Playing the whole session (${file.name}).`
        : `Playing one track (${fileWhat(this.recording, file)}): the one file of the session isn't ready yet.`);
  }

  /** Put ``file`` in the player because the admin asked for it. */
  async play(file) {
    this.chosen = true;
    await this.load(this.recording, file, file.kind === "composed"
      ? `Playing the whole session (${file.name}).`
      : `Playing one track (${fileWhat(this.recording, file)}).`);
    if (this.playing === file.name) $("player").play().catch(() => {});
  }

  async load(recording, file, text) {
    const player = $("player");
    this.playing = file.name;
    this.retries = 0;
    $("player-label").textContent = text;
    this.showFiles(recording);
    try {
      const link = await this.api.link(recording.recording_id, file.name);
      if (this.playing !== file.name) return; // another file was asked for meanwhile
      player.src = link.path;
      player.hidden = false;
    } catch (error) {
      this.playing = null;
      this.fail(error);
    }
  }

  async renewLink() {
    if (!this.recording || !this.playing || this.retries >= MAX_LINK_RETRIES) return;
    this.retries += 1;
    const player = $("player");
    const at = player.currentTime;
    try {
      const link = await this.api.link(this.recording.recording_id, this.playing);
      player.src = link.path;
      player.currentTime = at;
    } catch (error) {
      this.fail(error);
    }
  }

  async download(name) {
    try {
      const link = await this.api.link(this.recording.recording_id, name);
      const anchor = document.createElement("a");
      anchor.href = link.path;
      anchor.download = name;
      document.body.append(anchor);
      anchor.click();
      anchor.remove();
    } catch (error) {
      this.fail(error);
    }
  }

  askDelete() {
    const r = this.recording;
    const count = r.files.length;
    $("confirm-text").textContent = `Delete the recording of ${roomOf(r)} started `
      + `${when(r.started_at)}? Its ${count} file${count === 1 ? "" : "s"} (${size(r.total_bytes)}) `
      + "and its consent log are removed for good. This can't be undone.";
    $("confirm").hidden = false;
    $("delete").hidden = true;
    $("confirm-cancel").focus();
  }

  cancelDelete() {
    $("confirm").hidden = true;
    $("delete").hidden = !this.canDelete;
  }

  async confirmDelete() {
    const r = this.recording;
    $("confirm-delete").disabled = true;
    try {
      await this.api.remove(r.recording_id);
      this.close();
      this.onDeleted(r);
    } catch (error) {
      this.fail(error);
    } finally {
      $("confirm-delete").disabled = false;
    }
  }
}
