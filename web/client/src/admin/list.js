// The list of recordings: filters, one card per recording, the empty states.

import { COMPOSITION, STATES, duration, nameOf, roomOf, size, when } from "./format.js";

const $ = (id) => document.getElementById(id);

/** Elements of a composition's progress: a bar, the percentage and what it means. */
export function progress(composition) {
  const box = document.createElement("div");
  box.className = `composition composition-${composition.state}`;
  const bar = document.createElement("progress");
  bar.max = 100;
  bar.value = composition.percent;
  const label = document.createElement("span");
  const percent = Math.floor(composition.percent);
  label.textContent = composition.state === "running" || composition.state === "done"
    ? `${COMPOSITION[composition.state]} · ${percent} %` : COMPOSITION[composition.state];
  const id = `progress-${Math.random().toString(36).slice(2)}`;
  label.id = id;
  bar.setAttribute("aria-labelledby", id);
  box.append(bar, label);
  return box;
}

export function stateBadge(state) {
  const badge = document.createElement("span");
  badge.className = `badge state-${state}`;
  badge.textContent = STATES[state] || state;
  return badge;
}

/** The query of the filter form (empty fields left out; dates are local days). */
export function filters() {
  const query = {};
  for (const name of ["room_id", "booking_id", "participant"]) {
    const value = $("filters").elements[name].value.trim();
    if (value) query[name] = value;
  }
  const since = $("f-since").value;
  const until = $("f-until").value;
  if (since) query.since = String(new Date(`${since}T00:00`).getTime() / 1000);
  if (until) {
    const end = new Date(`${until}T00:00`);
    end.setDate(end.getDate() + 1); // "up to" a day includes that day
    query.until = String(end.getTime() / 1000);
  }
  return query;
}

/** A person's latest consent answer, in words; "recorded" only when a track file of
 * theirs was written (someone who published nothing, an observer, has none). The files
 * are known once the recording is filed: while it runs (or its node is lost) a yes is
 * just "accepted". */
export function consentOf(recording, identity) {
  const answers = recording.consent.filter((entry) => entry.identity === identity);
  const last = answers[answers.length - 1];
  if (!last) return "not answered";
  if (last.decision === "declined") return "declined, not recorded";
  const filed = recording.state !== "recording" && recording.state !== "interrupted";
  const written = recording.files.some((f) => f.kind === "track" && f.peer === identity);
  if (last.decision === "accepted") {
    return !filed ? "accepted" : written ? "recorded" : "accepted, nothing recorded";
  }
  if (last.decision === "withdrawn") {
    return filed && !written ? "withdrew, nothing recorded" : "withdrew, recorded until then";
  }
  return last.decision;
}

function card(recording, onOpen, selected) {
  const item = document.createElement("li");
  item.className = "recording";
  item.dataset.id = recording.recording_id;
  if (selected) item.classList.add("selected");

  const head = document.createElement("div");
  head.className = "rec-head";
  const title = document.createElement("strong");
  title.textContent = roomOf(recording);
  head.append(title, stateBadge(recording.state));

  const meta = document.createElement("div");
  meta.className = "rec-meta";
  const parts = [`Started ${when(recording.started_at)}`, duration(recording.duration_s)];
  if (recording.booking_id) parts.push(`booking ${recording.booking_id}`);
  meta.textContent = parts.join(" · ");

  const people = document.createElement("div");
  people.className = "rec-people";
  people.append("Participants: ");
  recording.participants.forEach((who, index) => {
    const person = document.createElement("span");
    person.className = "person";
    person.title = `identity ${who}`; // the id stays at hand for the filters
    person.textContent = nameOf(recording, who);
    people.append(index ? ", " : "", person, ` (${consentOf(recording, who)})`);
  });

  const foot = document.createElement("div");
  foot.className = "rec-foot";
  const files = document.createElement("span");
  files.className = "muted";
  const count = recording.files.length;
  files.textContent = `${count} file${count === 1 ? "" : "s"} · ${size(recording.total_bytes)}`;
  const open = document.createElement("button");
  open.type = "button";
  open.className = "small open";
  open.textContent = selected ? "Shown below" : "Open";
  open.setAttribute("aria-label", `Open the recording of ${roomOf(recording)} started ${when(recording.started_at)}`);
  open.addEventListener("click", () => onOpen(recording.recording_id));
  foot.append(files, open);

  item.append(head, meta, people, progress(recording.composition), foot);
  return item;
}

/** Show ``recordings``; ``filtered`` says whether any filter was set (for the empty text). */
export function renderList(recordings, filtered, onOpen, selectedId) {
  const list = $("list");
  list.replaceChildren(...recordings.map((r) => card(r, onOpen, r.recording_id === selectedId)));
  $("empty").hidden = recordings.length > 0 || filtered;
  $("empty-filtered").hidden = recordings.length > 0 || !filtered;
  const n = recordings.length;
  $("list-summary").textContent = n ? `${n} recording${n === 1 ? "" : "s"}, newest first.` : "";
}

/** Whether the list should be asked again soon: something is still changing (a recording
 * runs, or its one file waits to be made or is being made). */
export function changing(recordings) {
  return recordings.some((r) => r.state === "recording"
    || r.composition.state === "pending" || r.composition.state === "running");
}
