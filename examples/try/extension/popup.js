// The popup lists each window with its number of tabs, busiest first.
async function render() {
  const windows = await chrome.windows.getAll({ populate: true, windowTypes: ['normal'] });
  const list = document.getElementById('windows');
  windows
    .sort((a, b) => b.tabs.length - a.tabs.length)
    .forEach((win, index) => {
      const item = document.createElement('li');
      item.textContent = `Window ${index + 1}: ${win.tabs.length} tabs`;
      list.append(item);
    });
}

render();
