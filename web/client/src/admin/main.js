// The recordings admin page: sign in, list and filter, open one, play, download, delete,
// and read the audit log. Talks to docs/recordings-api.md with the session cookie.

import { AdminApi, ApiError } from "./api.js";
import { renderAudit } from "./audit.js";
import { Detail } from "./detail.js";
import { clock, sentence, when } from "./format.js";
import { changing, filters, renderList } from "./list.js";

const POLL_MS = 3000; // while a recording runs or its one file is being made

const $ = (id) => document.getElementById(id);
const api = new AdminApi();
let session = null;
let detail = null;
let pollTimer = null;
let shownQuery = {};

function status(text) {
  $("status").textContent = text;
}

function setState(state) {
  document.body.dataset.state = state;
}

function showSignIn(notice) {
  session = null;
  clearTimeout(pollTimer);
  if (detail) detail.close();
  $("app").hidden = true;
  $("who").hidden = true;
  $("sign-out").hidden = true;
  $("signin").hidden = false;
  $("signin-notice").hidden = !notice;
  $("signin-notice").textContent = notice || "";
  $("credential").value = "";
  $("credential").focus();
  setState("signin");
  status("");
}

function signedOut(error) {
  const ended = session ? ` at ${clock(session.expires_at)}` : "";
  showSignIn(error && error.code === "session_expired"
    ? `Your session ended${ended}. Sign in again to continue.`
    : "You are signed out. Sign in again to continue.");
}

function showApp(current) {
  session = current;
  $("signin").hidden = true;
  $("app").hidden = false;
  const who = current.admin_key ? "the admin key" : current.actor.replace(/^token:/, "");
  $("who").textContent = `Signed in with ${who} · until ${clock(current.expires_at)}`;
  $("who").hidden = false;
  $("sign-out").hidden = false;
  $("retention").textContent = current.retention_days > 0
    ? `Retention: recordings are deleted automatically ${current.retention_days} days after they start.`
    : "Retention: recordings are kept until an admin deletes them.";
  $("scope").hidden = current.admin_key;
  $("scope").textContent = current.admin_key ? "" : `You signed in with a host's admin token: `
    + `you see the recordings of room ${current.room_id} only. Deleting and the audit log `
    + "take the admin key.";
  $("tab-audit").hidden = !current.admin_key;
  detail = new Detail(api, {
    onDeleted: (r) => {
      $("list-notice").textContent = `Deleted the recording of room ${r.room_id} `
        + `(${when(r.started_at)}).`;
      $("list-notice").hidden = false;
      loadList(shownQuery);
    },
    onSignedOut: signedOut,
    canDelete: current.admin_key,
  });
  selectTab("recordings");
  setState("ready");
  loadList({});
}

function failed(error, where) {
  if (error instanceof ApiError && error.signedOut) {
    signedOut(error);
    return;
  }
  $(where).textContent = sentence(error);
  $(where).hidden = false;
}

async function loadList(query, quiet = false) {
  clearTimeout(pollTimer);
  shownQuery = query;
  if (!quiet) status("Loading recordings…");
  try {
    const recordings = await api.recordings(query);
    $("list-error").hidden = true;
    renderList(recordings, Object.keys(query).length > 0, (id) => openRecording(id),
      detail && detail.id);
    const open = detail && detail.id && recordings.find((r) => r.recording_id === detail.id);
    if (open) detail.show(open);
    if (!quiet) status("");
    if (changing(recordings)) pollTimer = setTimeout(() => loadList(shownQuery, true), POLL_MS);
  } catch (error) {
    status("");
    failed(error, "list-error");
  }
}

async function openRecording(id) {
  $("list-notice").hidden = true;
  await detail.open(id);
  for (const item of document.querySelectorAll(".recording")) {
    const selected = item.dataset.id === id;
    item.classList.toggle("selected", selected);
    item.querySelector(".open").textContent = selected ? "Shown below" : "Open";
  }
}

async function loadAudit() {
  status("Loading the audit log…");
  try {
    const answer = await api.audit();
    $("audit-error").hidden = true;
    renderAudit(answer.entries);
    status("");
  } catch (error) {
    status("");
    failed(error, "audit-error");
  }
}

function selectTab(name) {
  const recordings = name === "recordings";
  $("tab-recordings").setAttribute("aria-selected", String(recordings));
  $("tab-audit").setAttribute("aria-selected", String(!recordings));
  $("recordings-view").hidden = !recordings;
  $("audit-view").hidden = recordings;
  if (!recordings) loadAudit();
}

$("signin-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const credential = $("credential").value.trim();
  const error = $("signin-error");
  error.hidden = true;
  if (!credential) {
    error.textContent = "Paste the admin key (or an admin token) first.";
    error.hidden = false;
    return;
  }
  $("signin-button").disabled = true;
  status("Signing in…");
  try {
    showApp(await api.signIn(credential));
  } catch (failure) {
    status("");
    error.textContent = failure.code === "unauthorized"
      ? "That isn't the admin key or a valid admin token. Check it and try again."
      : sentence(failure);
    error.hidden = false;
    $("credential").select();
  } finally {
    $("signin-button").disabled = false;
  }
});

$("sign-out").addEventListener("click", async () => {
  try {
    await api.signOut();
  } catch {
    // Signed out or not, the page forgets the session.
  }
  showSignIn("You signed out.");
});

$("filters").addEventListener("submit", (event) => {
  event.preventDefault();
  $("list-notice").hidden = true;
  loadList(filters());
});
$("filters-clear").addEventListener("click", () => {
  $("filters").reset();
  loadList({});
});
$("tab-recordings").addEventListener("click", () => selectTab("recordings"));
$("tab-audit").addEventListener("click", () => selectTab("audit"));

async function start() {
  try {
    const current = await api.session();
    if (current) showApp(current);
    else showSignIn("");
  } catch (error) {
    showSignIn(sentence(error));
  }
}

window.mentorcallAdmin = { api };
start();
