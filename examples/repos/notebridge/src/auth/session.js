// Keeps the sync service's OAuth session; refreshes it before it expires.
const REFRESH_MARGIN_MS = 60 * 1000;

let session = null;

export function setSession(next) {
  session = next;
}

export function needsRefresh(now = Date.now()) {
  return session.token.expiresAt - REFRESH_MARGIN_MS < now;
}

export async function authorizedFetch(url, options = {}) {
  if (needsRefresh()) {
    await refresh();
  }
  const headers = { ...options.headers, Authorization: `Bearer ${session.token.value}` };
  return fetch(url, { ...options, headers });
}

async function refresh() {
  const token = await chrome.identity.getAuthToken({ interactive: false });
  session = { token: { value: token.token, expiresAt: Date.now() + 3600 * 1000 } };
}
