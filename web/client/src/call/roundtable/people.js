// The participant list (everyone sees it) with, for hosts and co-hosts, each person's
// controls: hard-mute microphone/camera, make co-host, hand hosting over, remove. Buttons
// carry `data-rt` (the action) and `data-target` (the identity); the controller acts.
// Actions that cannot be undone ask first, in the row itself.

import { roleLabel } from "../messages.js";

const $ = (id) => document.getElementById(id);

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export function actionButton(label, action, target, extra = "") {
  const b = el("button", `small ${extra}`.trim(), label);
  b.type = "button";
  b.dataset.rt = action;
  if (target) b.dataset.target = target;
  return b;
}

const ROLE_ORDER = { host: 0, "co-host": 1, participant: 2, observer: 3 };

function sortPeople(model, people) {
  return [...people].sort((a, b) => {
    const ra = ROLE_ORDER[model.roleOf(a.identity, a.role)] ?? 2;
    const rb = ROLE_ORDER[model.roleOf(b.identity, b.role)] ?? 2;
    return ra - rb || String(a.display_name).localeCompare(String(b.display_name));
  });
}

function statusText(model, p) {
  const tracks = p.tracks || [];
  const audio = tracks.find((t) => t.kind === "audio");
  const parts = [];
  if (model.hardMuted(p.identity, "audio")) parts.push("mic muted by host");
  else if (!audio) parts.push(model.roleOf(p.identity, p.role) === "observer" ? "watching only" : "no microphone");
  else if (audio.muted) parts.push("mic off");
  if (model.hardMuted(p.identity, "video")) parts.push("camera stopped by host");
  if (model.speaker === p.identity) parts.push("speaking");
  return parts.join(" · ");
}

function hostControls(model, p, confirming, inPair) {
  const id = p.identity;
  const role = model.roleOf(id, p.role);
  const row = el("div", "rt-row-actions");
  if (confirming?.target === id) {
    const text = confirming.action === "remove"
      ? `Remove ${p.display_name}? They can't come back into this roundtable.`
      : `Hand hosting over to ${p.display_name}? You'll become a co-host.`;
    row.append(
      el("span", "rt-confirm-text", text),
      actionButton(confirming.action === "remove" ? "Remove" : "Hand over",
        `${confirming.action}-confirmed`, id, "danger"),
      actionButton("Cancel", "cancel-confirm", id),
    );
    return row;
  }
  if (role === "host") return row; // nobody controls the host
  if (role !== "observer") {
    const mic = model.hardMuted(id, "audio");
    const cam = model.hardMuted(id, "video");
    row.append(
      actionButton(mic ? "Allow mic" : "Mute mic", mic ? "unmute-audio" : "mute-audio", id),
      actionButton(cam ? "Allow camera" : "Stop camera", cam ? "unmute-video" : "mute-video", id),
    );
  }
  if (inPair) return row; // a visiting host: only the mutes (roles and bans are the roundtable's)
  if (role === "participant") row.append(actionButton("Make co-host", "promote", id));
  if (role === "co-host" && model.iAmHost) row.append(actionButton("Make participant", "demote", id));
  if (model.iAmHost && role !== "observer") row.append(actionButton("Hand over hosting", "hand-over", id));
  if (role !== "co-host" || model.iAmHost) row.append(actionButton("Remove", "remove", id, "danger-outline"));
  return row;
}

/** Everyone in the room, hosts first; `confirming` is {action, target} awaiting a yes;
 * `inPair`: a breakout's pair room (a visiting host only mutes there). */
export function renderPeople(model, people, confirming, inPair = false) {
  const list = $("rt-people");
  const me = model.me?.identity;
  $("rt-people-count").textContent = String(people.length);
  list.replaceChildren();
  for (const p of sortPeople(model, people)) {
    const item = el("li", "rt-person");
    item.dataset.identity = p.identity;
    const role = model.roleOf(p.identity, p.role);
    const head = el("div", "rt-person-head");
    head.append(el("span", "rt-person-name", `${p.display_name}${p.identity === me ? " (you)" : ""}`));
    if (role !== "participant") head.append(el("span", `rt-badge rt-badge-${role === "observer" ? "observer" : "host"}`, roleLabel(role)));
    const place = model.handPlace(p.identity);
    if (place) head.append(el("span", "rt-badge rt-badge-hand", `Hand ${place}`));
    item.append(head);
    const status = statusText(model, p);
    if (status) item.append(el("div", "rt-person-status", status));
    if (model.iAmHosting && p.identity !== me) item.append(hostControls(model, p, confirming, inPair));
    list.append(item);
  }
}
