// What the end-to-end tests (tests/e2e/) read, also handy when helping someone debug:
// `window.mentorcall`, with getStats() totals of the subscribe connection (remoteStats,
// remoteStatsByPublisher) and of the publish connection (localStats).

import { collectLocalStats, collectRemoteStats } from "./rtc.js";

// Methods of CallClient (app.js), mixed into its prototype: `this` is the CallClient.
export const stats = {
  async remoteStats() {
    const sub = this.subscriber;
    const pcs = sub?.pc ? [sub.pc] : [];
    return {
      ...(await collectRemoteStats(pcs)),
      subscriptions: pcs.length,
      // grows with every subscribe connection opened (a rejoin, a media_failed reopen)
      subscriptionsStarted: this.subscriptionsOpened + (sub?.opened || 0),
      offersAnswered: this.offersAnswered + (sub?.answered || 0),
      subscriberRestarts: sub?.restarts || 0, // subscriber_restart sent by this link
      subscriberRestartsRefused: sub?.restartsRefused || 0, // of which rate_limited, retried
    };
  },

  /** remoteStats() per publisher: {identity: totals of the m-lines carrying them now}. */
  async remoteStatsByPublisher() {
    const sub = this.subscriber;
    const out = {};
    if (!sub?.pc) return out;
    for (const identity of sub.identities()) {
      const mids = sub.midsOf(identity);
      out[identity] = await collectRemoteStats([sub.pc], (s) => mids.has(s.mid));
    }
    return out;
  },

  localStats() {
    return collectLocalStats(this.publishPc);
  },
};

/** Expose `window.mentorcall` for `client` (a CallClient). */
export function exposeTestHooks(client) {
  window.mentorcall = {
    get state() {
      return client.state;
    },
    get error() {
      return client.errorCode;
    },
    get identity() {
      return client.me?.identity ?? null;
    },
    // The node this page's Socket.IO connection goes to after `moved` (null: the page's origin).
    get node() {
      return client.nodeUrl ?? null;
    },
    get opensAt() {
      return client.opensAt;
    },
    // Every page state so far, oldest first (the last 50): e.g. "reconnecting" then "in_call".
    get stateHistory() {
      return [...client.stateHistory];
    },
    get participants() {
      return [...client.participants.values()].map((p) => ({ ...p }));
    },
    // The roundtable as this page sees it (null in a 1:1 call).
    get roundtable() {
      if (!client.roundtable.active) return null;
      const m = client.roundtable.model;
      return { ...m.state, role: m.me?.role ?? null, speaker: m.speaker, hardMutes: { ...client.hardMutes } };
    },
    // The notes as this page sees them (texts, items, synced, writable).
    get notes() {
      return client.notes.snapshot();
    },
    // Last-N: the subscribe connection's video slots and whose video arrives now.
    get videoSlots() {
      const sub = client.subscriber;
      if (!sub) return null;
      return {
        slots: sub.tracks.filter((t) => t.slot !== null && t.slot !== undefined)
          .map((t) => ({ mid: t.mid, slot: t.slot, identity: t.identity })),
        withVideo: sub.identities().filter((i) => sub.hasVideo(i)),
        events: sub.slotEvents,
      };
    },
    // The peer connections themselves (an ICE restart keeps them: tests compare them).
    get peerConnections() {
      return { publish: client.publishPc ?? null, subscribe: client.subscriber?.pc ?? null };
    },
    // Resumes that restarted ICE on the kept connections instead of making new ones.
    get iceRestarts() {
      return client.iceRestarts;
    },
    remoteStats: () => client.remoteStats(),
    remoteStatsByPublisher: () => client.remoteStatsByPublisher(),
    localStats: () => client.localStats(),
  };
}
