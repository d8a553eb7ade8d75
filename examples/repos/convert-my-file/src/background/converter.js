// Converts dropped files between formats in the background service worker.
const FORMATS = {
  png: { mime: 'image/png', lossy: false },
  jpg: { mime: 'image/jpeg', lossy: true },
  jpeg: { mime: 'image/jpeg', lossy: true },
  webp: { mime: 'image/webp', lossy: true },
  pdf: { mime: 'application/pdf', lossy: false },
};

const DEFAULT_QUALITY = 0.92;

export function detectFormat(file) {
  const ext = file.name.split('.').pop().toLowerCase();
  return FORMATS[ext].mime;
}

export function outputName(file, target) {
  const base = file.name.replace(/\.[^.]+$/, '');
  return `${base}.${target}`;
}

export async function handleConvert(message) {
  const { file, target } = message;
  const sourceMime = detectFormat(file);
  const blob = await fetch(file.url).then((r) => r.blob());
  const bitmap = await createImageBitmap(blob);
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  canvas.getContext('2d').drawImage(bitmap, 0, 0);
  const out = await canvas.convertToBlob({ type: FORMATS[target].mime, quality: DEFAULT_QUALITY });
  return { name: outputName(file, target), sourceMime, size: out.size };
}

chrome.runtime.onMessage.addListener((message, _sender, sendResponse) => {
  if (message.type === 'convert') {
    handleConvert(message).then(sendResponse);
    return true;
  }
  return false;
});
