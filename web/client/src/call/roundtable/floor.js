// Who has the floor, as everyone sees it: the ordered hand queue (hosts can call on or
// lower a hand), our own Raise/Lower hand button, the speaking timer's countdown and the
// note that a host hard-muted us.

import { actionButton, el } from "./people.js";
import { clockText } from "./model.js";

const $ = (id) => document.getElementById(id);

function nameOf(people, identity) {
  return people.find((p) => p.identity === identity)?.display_name || "Someone";
}

export function renderHands(model, people) {
  const me = model.me?.identity;
  const list = $("rt-hands");
  list.replaceChildren();
  const hands = model.state.hands;
  $("rt-hands-empty").hidden = hands.length > 0;
  hands.forEach((h, i) => {
    const item = el("li", "rt-hand");
    item.dataset.identity = h.identity;
    const who = `${nameOf(people, h.identity)}${h.identity === me ? " (you)" : ""}`;
    item.append(el("span", "rt-hand-place", `${i + 1}.`), el("span", "rt-hand-name", who));
    if (model.iAmHosting) {
      const actions = el("span", "rt-row-actions");
      actions.append(actionButton("Call on", "call-on", h.identity, "primary"));
      actions.append(actionButton("Lower", "lower-hand", h.identity));
      item.append(actions);
    }
    list.append(item);
  });
  const called = model.state.called_on;
  const calledEl = $("rt-called-on");
  calledEl.hidden = !called;
  if (called) calledEl.textContent = `${nameOf(people, called)}${called === me ? " (you)" : ""} has the floor.`;

  const button = $("rt-hand-button");
  const place = model.handPlace(me);
  button.hidden = false;
  button.setAttribute("aria-pressed", String(Boolean(place)));
  button.textContent = place ? `Lower hand (${place} in queue)` : "Raise hand";
  button.dataset.rt = place ? "lower-own-hand" : "raise-hand";
}

/** The countdown above the grid; `tick()` redraws it every second while a timer runs. */
export function renderTimer(model, people) {
  const box = $("rt-timer");
  const t = model.state.timer;
  if (!t) {
    box.hidden = true;
    return;
  }
  const left = model.timerLeft();
  const mine = t.identity === model.me?.identity;
  const name = nameOf(people, t.identity);
  box.hidden = false;
  box.classList.toggle("is-over", left <= 0);
  box.classList.toggle("is-ending", left > 0 && left <= 15);
  $("rt-timer-text").textContent = left > 0
    ? `${mine ? "You have" : `${name} has`} the floor: ${clockText(left)} left`
    : `${mine ? "Your" : `${name}'s`} time is up`;
  $("rt-timer-stop").hidden = !model.iAmHosting;
}

/** Our own hard mutes: the note under the grid, and the buttons we cannot use. */
export function renderOwnMutes(model) {
  const me = model.me?.identity;
  const mic = Boolean(me) && model.hardMuted(me, "audio");
  const cam = Boolean(me) && model.hardMuted(me, "video");
  const note = $("rt-own-mute");
  note.hidden = !mic && !cam;
  const what = mic && cam ? "microphone and camera" : mic ? "microphone" : "camera";
  // Raising a hand is the way back to speaking: only worth saying for the microphone.
  note.textContent = mic
    ? `A host turned off your ${what}. Only a host can turn it back on; raise your hand if you'd like to speak.`
    : `A host turned off your ${what}. Only a host can turn it back on.`;
  for (const b of document.querySelectorAll('#call [data-action="toggle-mic"]')) {
    if (mic) {
      b.disabled = true;
      b.textContent = "Muted by host";
    }
  }
  for (const b of document.querySelectorAll('#call [data-action="toggle-camera"]')) {
    if (cam) {
      b.disabled = true;
      b.textContent = "Camera stopped by host";
    }
  }
  return { mic, cam };
}
