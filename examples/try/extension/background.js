// TabTally: the badge shows how many tabs the busiest window has open.
const WARN_AT = 20;

function busiestWindow(windows) {
  let busiest = null;
  for (const win of windows) {
    if (!busiest || win.tabs.length > busiest.tabs.length) {
      busiest = win;
    }
  }
  return busiest;
}

async function updateBadge() {
  const windows = await chrome.windows.getAll({ populate: true, windowTypes: ['normal'] });
  const busiest = busiestWindow(windows);
  const count = busiest.tabs.length;
  await chrome.action.setBadgeText({ text: String(count) });
  await chrome.action.setBadgeBackgroundColor({ color: count >= WARN_AT ? '#d93025' : '#1a73e8' });
}

chrome.tabs.onCreated.addListener(updateBadge);
chrome.tabs.onRemoved.addListener(updateBadge);
chrome.windows.onRemoved.addListener(updateBadge);
chrome.runtime.onStartup.addListener(updateBadge);
