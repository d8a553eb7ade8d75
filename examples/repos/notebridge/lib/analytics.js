// Third-party analytics shim, bundled as-is (not part of the extension's own source tree).
export function track(event, props) {
  const queue = window.__nbq;
  queue.push([event, props, Date.now()]);
}
