// Pair breakout (docs/protocol.md, "Breakout"): the hosts' breakout controls in the host
// panel (minutes, start; while it runs: the pairs with a Visit button each, and End), and
// the banner on top of the call in a pair room (partner and countdown; a visiting host's
// way back). The server moves people; the controller joins whatever room it is told to.

import { clockText } from "./model.js";
import { actionButton, el } from "./people.js";

const $ = (id) => document.getElementById(id);

/** The names of a pair's people (our own as "you"), joined for a sentence. */
function namesOf(identities, names, me) {
  const list = identities.map((i) => (i === me ? "you" : names?.[i] || "someone"));
  if (list.length <= 1) return list.join("");
  return `${list.slice(0, -1).join(", ")} and ${list[list.length - 1]}`;
}

/** Seconds left until `endsAt` (server epoch seconds) given the server clock skew. */
export function secondsLeft(endsAt, skewMs, nowMs = Date.now()) {
  return endsAt - (nowMs + skewMs) / 1000;
}

/** The host panel's breakout box (roundtable only, hosts only). */
export function renderBreakoutHost(model) {
  const box = $("rt-breakout-host");
  if (!box) return;
  const plan = model.state.breakout;
  const running = $("rt-breakout-running");
  const form = $("rt-breakout-form");
  form.hidden = Boolean(plan);
  running.hidden = !plan;
  if (!plan) return;
  const left = secondsLeft(plan.ends_at, model.clockSkewMs);
  $("rt-breakout-left").textContent = `Pairs are talking: ${clockText(left)} left.`;
  const list = $("rt-breakout-pairs");
  list.replaceChildren();
  for (const pair of plan.pairs || []) {
    const item = el("li", "rt-pair");
    item.dataset.room = pair.room_id;
    item.append(el("span", "rt-person-name", namesOf(pair.identities, plan.names, null)));
    const actions = el("span", "rt-row-actions");
    actions.append(actionButton("Visit", "visit-pair", pair.room_id));
    item.append(actions);
    list.append(item);
  }
}

/** The minutes the host chose (0.5..120), or null. */
export function breakoutMinutes() {
  const minutes = Number($("rt-breakout-min").value || 0);
  return Number.isFinite(minutes) && minutes >= 0.5 && minutes <= 120 ? minutes : null;
}

/** The banner in a pair room: who we are with and how long is left. `pair`: the join
 * ack's or `breakout_started`'s fields plus `deadlineMs` (this device's clock); `visiting`:
 * a host in someone else's pair. */
export function renderBreakoutBanner(pair, { visiting, hosting, me }) {
  const banner = $("rt-breakout");
  banner.hidden = !pair;
  if (!pair) return;
  const left = Math.max(0, (pair.deadlineMs - Date.now()) / 1000);
  const partners = (pair.partners || []).map((p) => p.display_name || "your partner");
  const names = partners.length > 1 ? `${partners.slice(0, -1).join(", ")} and ${partners.at(-1)}` : partners[0] || "your partner";
  $("rt-breakout-text").textContent = visiting
    ? `You're visiting ${names} · ${clockText(left)} left`
    : `Breakout: you're paired with ${names} · ${clockText(left)} left`;
  banner.classList.toggle("is-ending", left <= 30);
  const actions = $("rt-breakout-actions");
  actions.replaceChildren();
  if (visiting) actions.append(actionButton("Back to the roundtable", "back-to-roundtable", null, "primary"));
  if (hosting) actions.append(actionButton("End breakout for everyone", "end-breakout", null, "danger-outline"));
  banner.dataset.me = me || "";
}
