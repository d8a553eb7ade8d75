import { track } from '../../lib/analytics.js';

// Usage statistics for the popup: one analytics event per note added.
export function recordNoteAdded(note) {
  track('note_added', { length: note.length });
}
