// A CodeMirror 6 Markdown editor bound to a Y.Text (y-codemirror.next): remote cursors
// with names and colours from Yjs awareness, shared undo, a read-only switch.

import { EditorView, basicSetup } from "codemirror";
import { Compartment, EditorState } from "@codemirror/state";
import { markdown } from "@codemirror/lang-markdown";
import { yCollab } from "y-codemirror.next";
import * as Y from "yjs";

export class NotesEditor {
  constructor(parent, ytext, awareness, { label, placeholderText = "" } = {}) {
    this.editable = new Compartment();
    this.view = new EditorView({
      parent,
      state: EditorState.create({
        doc: ytext.toString(),
        extensions: [
          basicSetup,
          markdown(),
          EditorView.lineWrapping,
          EditorView.contentAttributes.of({ "aria-label": label || "Notes" }),
          yCollab(ytext, awareness, { undoManager: new Y.UndoManager(ytext) }),
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
