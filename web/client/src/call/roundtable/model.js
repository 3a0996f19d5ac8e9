// What the page knows about a roundtable: the server's state (roles, lobby, knocking,
// hard mutes, hands, timer) and the active speaker. Pure data, no DOM: the panels read
// it, the controller feeds it from the server's events (docs/protocol.md, roundtables).
// The server is the only judge: the page never changes this on its own.

export const HOSTING = new Set(["host", "co-host"]);

export function emptyState() {
  return {
    revision: -1,
    host: null,
    host_away: false,
    roles: {}, // identity -> role, everyone ever let in
    lobby: false,
    locked: false,
    knocking: [], // [{identity, display_name, role, knocked_at}]
    mutes: [], // [{identity, kind}]
    hands: [], // [{identity, raised_at}], first raised first
    called_on: null,
    timer: null, // {identity, started_at, seconds, ends_at}
  };
}

export class RoundtableModel {
  constructor() {
    this.state = emptyState();
    this.me = null; // {identity, display_name, role}
    this.speaker = null;
    this.pins = []; // identities whose video we pinned (pin_videos)
    this.lastN = null; // the room's N when last-N is on (from the pin_videos ack)
    this.clockSkewMs = 0; // server time minus this device's time, when the server says
  }

  /** A `roundtable_state` from the server (docs/protocol.md): replaces ours unless older.
   * The lobby's knocking list comes separately (`applyLobby`) and is kept. */
  applyState(next) {
    if (!next || typeof next !== "object") return false;
    const rev = Number.isFinite(next.revision) ? next.revision : null;
    if (rev !== null && rev < this.state.revision) return false;
    if (Number.isFinite(next.server_time)) this.clockSkewMs = next.server_time * 1000 - Date.now();
    const knocking = this.state.knocking;
    this.state = { ...emptyState(), ...next, knocking, revision: rev ?? this.state.revision };
    return true;
  }

  /** The `lobby` event (hosts only): who is knocking. */
  applyLobby(lobby) {
    this.state = { ...this.state, knocking: Array.isArray(lobby?.knocking) ? lobby.knocking : [] };
  }

  setMe(me) {
    this.me = me ? { ...me } : null;
  }

  reset() {
    this.state = emptyState();
    this.me = null;
    this.speaker = null;
    this.pins = [];
  }

  /** The role now (promotions and hand-overs included), else the one the person joined with. */
  roleOf(identity, fallback = "participant") {
    return this.state.roles?.[identity] || fallback;
  }

  get iAmHosting() {
    return Boolean(this.me && HOSTING.has(this.roleOf(this.me.identity, this.me.role)));
  }

  get iAmHost() {
    return Boolean(this.me && this.roleOf(this.me.identity, this.me.role) === "host");
  }

  hardMuted(identity, kind) {
    return this.state.mutes.some((m) => m.identity === identity && m.kind === kind);
  }

  /** 1-based place in the hand queue, or 0. */
  handPlace(identity) {
    return this.state.hands.findIndex((h) => h.identity === identity) + 1;
  }

  /** Seconds left on the speaking timer (may be negative once over), or null. */
  timerLeft(nowMs = Date.now()) {
    const t = this.state.timer;
    if (!t) return null;
    const ends = Number.isFinite(t.ends_at) ? t.ends_at : t.started_at + t.seconds;
    return ends - (nowMs + this.clockSkewMs) / 1000;
  }
}

/** Columns and rows for `n` tiles in a 16:9 stage: 2 side by side up to 4x3 for 12. */
export function gridShape(n) {
  if (n <= 1) return { cols: 1, rows: 1 };
  if (n === 2) return { cols: 2, rows: 1 };
  if (n <= 4) return { cols: 2, rows: 2 };
  if (n <= 6) return { cols: 3, rows: 2 };
  if (n <= 9) return { cols: 3, rows: 3 };
  if (n <= 12) return { cols: 4, rows: 3 };
  const cols = Math.ceil(Math.sqrt((n * 16) / 9));
  return { cols, rows: Math.ceil(n / cols) };
}

/** "1:05" for 65 seconds; "0:00" once over. */
export function clockText(seconds) {
  const s = Math.max(0, Math.ceil(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}
