// The host panel (hosts and co-hosts only): who is knocking (admit / deny), mute all,
// lobby and lock switches, the speaking timer form, and ending the roundtable for
// everyone (asked twice). Each person's own controls are in people.js.

import { actionButton, el } from "./people.js";

const $ = (id) => document.getElementById(id);

export function renderHostPanel(model, people, confirming) {
  const panel = $("rt-host");
  panel.hidden = !model.iAmHosting;
  if (!model.iAmHosting) return;
  const s = model.state;

  const knocking = $("rt-knocking");
  knocking.replaceChildren();
  $("rt-knocking-empty").hidden = s.knocking.length > 0;
  $("rt-knocking-count").textContent = s.knocking.length ? ` (${s.knocking.length})` : "";
  for (const k of s.knocking) {
    const item = el("li", "rt-knock");
    item.dataset.identity = k.identity;
    item.append(el("span", "rt-person-name", k.display_name));
    const actions = el("span", "rt-row-actions");
    actions.append(
      actionButton("Admit", "admit", k.identity, "primary"),
      actionButton("Deny", "deny", k.identity),
    );
    item.append(actions);
    knocking.append(item);
  }

  const lock = $("rt-lock");
  lock.setAttribute("aria-pressed", String(s.locked));
  lock.textContent = s.locked ? "Unlock room" : "Lock room";
  lock.dataset.rt = s.locked ? "unlock" : "lock";
  const lobby = $("rt-lobby");
  lobby.setAttribute("aria-pressed", String(s.lobby));
  lobby.textContent = s.lobby ? "Turn lobby off" : "Turn lobby on";
  lobby.dataset.rt = s.lobby ? "lobby-off" : "lobby-on";
  $("rt-room-state").textContent = [
    s.locked ? "Locked: nobody new can come in." : "Open.",
    s.lobby ? "New people wait in the lobby (turning it off lets them all in)." : "New people come straight in.",
  ].join(" ");

  // The timer form: keep the chosen speaker if still here.
  const select = $("rt-timer-who");
  const chosen = select.value;
  const speakers = people.filter((p) => model.roleOf(p.identity, p.role) !== "observer");
  select.replaceChildren(...speakers.map((p) => {
    const o = el("option", "", p.display_name + (p.identity === model.me?.identity ? " (you)" : ""));
    o.value = p.identity;
    return o;
  }));
  const fallback = s.called_on || s.hands[0]?.identity || speakers.find((p) => p.identity !== model.me?.identity)?.identity;
  select.value = speakers.some((p) => p.identity === chosen) ? chosen : fallback || "";

  const end = $("rt-end-area");
  end.replaceChildren();
  if (confirming?.action === "end") {
    end.append(
      el("span", "rt-confirm-text", "End the roundtable for everyone? Everyone is disconnected."),
      actionButton("End for everyone", "end-confirmed", null, "danger"),
      actionButton("Cancel", "cancel-confirm", null),
    );
  } else {
    end.append(actionButton("End for everyone", "end", null, "danger-outline"));
  }
}

/** The timer form's value in seconds (1..3600), or null when it makes no sense. */
export function timerSeconds() {
  const min = Number($("rt-timer-min").value || 0);
  const sec = Number($("rt-timer-sec").value || 0);
  if (!Number.isInteger(min) || !Number.isInteger(sec) || min < 0 || sec < 0 || sec > 59) return null;
  const total = min * 60 + sec;
  return total >= 1 && total <= 3600 ? total : null;
}

export function timerTarget() {
  return $("rt-timer-who").value || null;
}
