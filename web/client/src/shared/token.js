// The join token lives in the URL fragment, so it is never sent in a request line
// or written to an access log.

export function tokenFromLocation() {
  const params = new URLSearchParams(window.location.hash.replace(/^#/, ""));
  return (params.get("token") || "").trim();
}

/** The opening written by the server in a booked session's link (`&opens=`, a local time
 * with its offset in the person's zone), or null. */
export function opensFromLocation() {
  const params = new URLSearchParams(window.location.hash.replace(/^#/, ""));
  return (params.get("opens") || "").trim() || null;
}

/**
 * Best-effort read of the (unverified) JWT claims, only to greet the person and to
 * know their grants before joining. The server is the only judge of validity.
 * Returns null when the token is not shaped like a JWT.
 */
export function peekClaims(token) {
  const parts = token.split(".");
  if (parts.length !== 3) return null;
  try {
    const b64 = parts[1].replace(/-/g, "+").replace(/_/g, "/");
    const binary = atob(b64 + "===".slice((b64.length + 3) % 4));
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes));
    return claims && typeof claims === "object" ? claims : null;
  } catch {
    return null;
  }
}
