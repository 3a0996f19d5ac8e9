// A CodeMirror 6 Markdown editor bound to a Y.Text (y-codemirror.next): remote cursors
// with names and colours from Yjs awareness, shared undo, a read-only switch. The page's
// CSP allows no inline styles: CodeMirror's <style> element carries the nonce the server
// gave the page (EditorView.cspNonce), and the cursors are coloured without style
// attributes (cursors.js).

import { EditorView, basicSetup } from "codemirror";
import { Compartment, EditorState } from "@codemirror/state";
import { markdown } from "@codemirror/lang-markdown";
import { yCollab, yRemoteSelectionsTheme } from "y-codemirror.next";
import * as Y from "yjs";
import { remoteCursors } from "./cursors.js";

/** The CSP nonce of this page (the server sets it per response on <meta name=csp-nonce>;
 * the browser hides the attribute, the `nonce` property keeps it). */
export function cspNonce(doc = document) {
  return doc.querySelector('meta[name="csp-nonce"]')?.nonce || "";
}

export class NotesEditor {
  constructor(parent, ytext, awareness, { label, placeholderText = "" } = {}) {
    this.editable = new Compartment();
    const nonce = cspNonce();
    this.view = new EditorView({
      parent,
      state: EditorState.create({
        doc: ytext.toString(),
        extensions: [
          EditorView.cspNonce.of(nonce),
          basicSetup,
          markdown(),
          EditorView.lineWrapping,
          EditorView.contentAttributes.of({ "aria-label": label || "Notes" }),
          // sync and undo; the remote cursors are ours (no style attributes)
          yCollab(ytext, null, { undoManager: new Y.UndoManager(ytext) }),
          yRemoteSelectionsTheme,
          remoteCursors(ytext, awareness, nonce),
          this.editable.of(this.modes(true)),
        ],
      }),
    });
    this.view.dom.dataset.placeholder = placeholderText;
  }

  modes(writable) {
    return [EditorState.readOnly.of(!writable), EditorView.editable.of(writable)];
  }

  setWritable(writable) {
    this.view.dispatch({ effects: this.editable.reconfigure(this.modes(writable)) });
  }

  text() {
    return this.view.state.doc.toString();
  }

  destroy() {
    this.view.destroy();
  }
}
