// Shows the last conversions in the popup.
const MAX_ITEMS = 10;

export function renderHistory(list, entries) {
  const recent = entries.slice(-MAX_ITEMS).reverse();
  for (const entry of recent) {
    const item = document.createElement('li');
    item.textContent = `${entry.name} (${formatSize(entry.size)})`;
    list.appendChild(item);
  }
}

export function formatSize(bytes) {
  const units = ['B', 'KB', 'MB', 'GB'];
  let i = 0;
  while (bytes >= 1024) {
    bytes /= 1024;
    i += 1;
  }
  return `${bytes.toFixed(1)} ${units[i]}`;
}

export async function loadHistory() {
  const { history } = await chrome.storage.local.get('history');
  return history.entries;
}
