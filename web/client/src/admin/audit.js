// The audit log: who listed, opened, downloaded or deleted what, and every refusal.

import { moment } from "./format.js";

const ACTIONS = {
  list: "listed recordings",
  read: "opened a recording",
  link: "got a download link",
  download: "downloaded",
  delete: "deleted",
  retention: "deleted (retention)",
  audit: "read the audit log",
  signin: "signed in",
  signout: "signed out",
};

const ACTORS = {
  link: "someone with a download link",
  anonymous: "not signed in",
  retention: "retention policy",
};

/** The server's detail, with epoch times shown as times. */
function detailText(detail) {
  return (detail || "").replace(/^(expires|session until) (\d{9,12})$/,
    (_, what, at) => `${what === "expires" ? "link valid until" : "session until"} ${moment(Number(at))}`);
}

function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text || "";
  if (className) td.className = className;
  return td;
}

export function renderAudit(entries) {
  const rows = entries.map((e) => {
    const tr = document.createElement("tr");
    tr.className = `outcome-${e.outcome}`;
    const outcome = e.outcome === "refused" ? `refused: ${e.code || "?"}` : "allowed";
    const detail = [detailText(e.detail), e.remote && `from ${e.remote}`].filter(Boolean).join(" · ");
    tr.append(cell(moment(e.at)), cell(ACTORS[e.actor] || e.actor), cell(ACTIONS[e.action] || e.action),
      cell(outcome, "outcome"), cell(e.recording_id, "mono"), cell(e.file, "mono"),
      cell(detail, "muted"));
    return tr;
  });
  document.getElementById("audit").replaceChildren(...rows);
}
