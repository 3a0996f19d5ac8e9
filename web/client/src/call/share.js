// A roundtable's shareable link (token claim `share: true`, docs/protocol.md): one link
// for many people. The first `join` names the person and the server answers with a
// personal token, kept in this tab's sessionStorage so a reload or reconnect comes back
// as the same person instead of someone new.

import { peekClaims } from "../shared/token.js";

const $ = (id) => document.getElementById(id);
const KEY = "mentorcall:personal-token:";

function storageKey(sharedToken) {
  // The shared token's unique id (`jti`), not the token itself.
  return KEY + (peekClaims(sharedToken)?.jti || sharedToken.slice(-24));
}

/** The personal token this tab got earlier for `sharedToken`, or null. */
export function rememberedToken(sharedToken) {
  try {
    const token = sessionStorage.getItem(storageKey(sharedToken));
    const claims = token ? peekClaims(token) : null;
    return claims && (!claims.exp || claims.exp * 1000 > Date.now()) ? token : null;
  } catch {
    return null; // storage blocked: the person is asked for their name again
  }
}

export function remember(sharedToken, personalToken) {
  try {
    sessionStorage.setItem(storageKey(sharedToken), personalToken);
  } catch {
    // Storage blocked: this tab still uses the personal token until it is closed.
  }
}

/** Show the name field on the pre-join panel. */
export function askForName() {
  $("name-field").hidden = false;
}

/** The name typed, trimmed; null (and the field flagged) when empty. */
export function typedName() {
  const input = $("name-input");
  const name = input.value.trim().slice(0, 64);
  input.setAttribute("aria-invalid", String(!name));
  if (!name) input.focus();
  return name || null;
}
