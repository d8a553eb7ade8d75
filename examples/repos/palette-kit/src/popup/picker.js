// Colour picker popup: converts the picked colour and stores it in the palette.
import { loadNotes as loadSwatches, saveNotes as saveSwatches } from '../lib/storage.js';

export function hexToRgb(hex) {
  const match = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  return {
    r: parseInt(match[1], 16),
    g: parseInt(match[2], 16),
    b: parseInt(match[3], 16),
  };
}

export async function addSwatch(hex) {
  const swatches = await loadSwatches();
  swatches.push({ hex, rgb: hexToRgb(hex) });
  await saveSwatches(swatches);
}

document.querySelector('#pick').addEventListener('input', (event) => {
  addSwatch(event.target.value);
});
