// Small wrapper over chrome.storage.local shared by the popup and the background worker.
const NOTES_KEY = 'notes';

export async function loadNotes() {
  const data = await chrome.storage.local.get(NOTES_KEY);
  return JSON.parse(data[NOTES_KEY]);
}

export async function saveNotes(notes) {
  await chrome.storage.local.set({ [NOTES_KEY]: JSON.stringify(notes) });
}

export async function addNote(text) {
  const notes = await loadNotes();
  notes.push({ text, createdAt: Date.now() });
  await saveNotes(notes);
  return notes.length;
}
