// The roundtable's video grid: the tiles CallView draws (one per other person) plus
// our own, laid out 1x1 .. 4x3 by count, each with a role badge, hand, hard-mute marks
// and the active speaker's highlight.

import { roleLabel } from "../messages.js";
import { gridShape } from "./model.js";

const $ = (id) => document.getElementById(id);

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** The badge row on a tile (made once). */
function badgesOf(tile) {
  let row = tile.querySelector(".rt-badges");
  if (!row) {
    row = el("span", "rt-badges");
    tile.appendChild(row);
  }
  return row;
}

function badge(text, kind) {
  return el("span", `rt-badge rt-badge-${kind}`, text);
}

export const MAX_PINS = 4; // docs/protocol.md, pin_videos

/** The pin button of a remote tile (made once): its video always gets a slot. */
function pinButton(tile, identity, name, pinned, full) {
  let btn = tile.querySelector(".rt-pin");
  if (!btn) {
    btn = el("button", "rt-pin");
    btn.type = "button";
    tile.appendChild(btn);
  }
  btn.dataset.rt = pinned ? "unpin" : "pin";
  btn.dataset.target = identity;
  btn.textContent = pinned ? "Pinned" : "Pin";
  btn.setAttribute("aria-pressed", String(pinned));
  btn.setAttribute("aria-label", pinned ? `Unpin ${name}'s video` : `Always show ${name}'s video`);
  btn.disabled = !pinned && full;
  btn.title = btn.disabled ? `You can pin up to ${MAX_PINS} people.` : "";
}

/** Move our own tile into the grid (roundtables show everyone alike). */
export function enterGrid() {
  const stage = $("stage");
  const self = document.querySelector(".self-tile");
  stage.classList.add("rt-grid");
  if (self && self.parentElement !== stage) stage.prepend(self);
}

/** Draw the decorations; `people` is everyone in the room (us included). */
export function renderGrid(model, people) {
  const stage = $("stage");
  const me = model.me?.identity;
  const self = stage.querySelector(".self-tile");
  if (self && me) self.dataset.identity = me;
  const tiles = [...stage.querySelectorAll(".remote-tile, .self-tile")];
  const byId = new Map(people.map((p) => [p.identity, p]));
  for (const tile of tiles) {
    const p = byId.get(tile.dataset.identity);
    if (!p) continue;
    const role = model.roleOf(p.identity, p.role);
    const row = badgesOf(tile);
    row.replaceChildren();
    if (role === "host" || role === "co-host" || role === "observer") {
      row.appendChild(badge(roleLabel(role), role === "observer" ? "observer" : "host"));
    }
    const place = model.handPlace(p.identity);
    if (place) row.appendChild(badge(`Hand raised · ${place}`, "hand"));
    const micHard = model.hardMuted(p.identity, "audio");
    const camHard = model.hardMuted(p.identity, "video");
    if (micHard) row.appendChild(badge("Mic muted by host", "hardmute"));
    if (camHard) row.appendChild(badge("Camera stopped by host", "hardmute"));
    const tracks = p.tracks || [];
    const offText = tile.querySelector(".off-text");
    if (role === "observer" && !tracks.length && offText) offText.textContent = "Watching only";
    const audio = tracks.find((t) => t.kind === "audio");
    const micOff = micHard || Boolean(audio && audio.muted);
    tile.classList.toggle("is-muted", micOff);
    tile.classList.toggle("is-hard-muted", micHard || camHard);
    tile.classList.toggle("is-speaking", model.speaker === p.identity);
    const micMark = tile.querySelector(".mic-off");
    if (micMark) micMark.hidden = !micOff || micHard;
    if (tile.classList.contains("remote-tile")) {
      const pinned = model.pins.includes(p.identity);
      pinButton(tile, p.identity, p.display_name || "this person", pinned, model.pins.length >= MAX_PINS);
      // only someone who sends video can be pinned (an observer never does)
      tile.querySelector(".rt-pin").hidden = !pinned && !(p.tracks || []).some((t) => t.kind === "video");
    }
    if (camHard) {
      const off = tile.querySelector(".remote-off");
      if (off) {
        off.hidden = false;
        tile.querySelector(".off-text").textContent = "Camera stopped by the host";
      }
    }
  }
  const { cols, rows } = gridShape(tiles.length);
  stage.style.setProperty("--cols", String(cols));
  stage.style.setProperty("--rows", String(rows));
  stage.dataset.tiles = String(tiles.length);
}
