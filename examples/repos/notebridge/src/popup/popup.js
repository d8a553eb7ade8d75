import { addNote, loadNotes } from '../lib/storage.js';

async function render() {
  const notes = await loadNotes();
  document.querySelector('#count').textContent = String(notes.length);
}

document.querySelector('#add').addEventListener('click', async () => {
  const text = document.querySelector('#text').value;
  await addNote(text);
  await render();
});

render();
