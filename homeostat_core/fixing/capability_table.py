"""Which browser APIs are capabilities a fix may not start using, and what reaching a path means.

Paths are written with `chrome.` (`browser.` and `messenger.` are the same API, resolved by
js_resolver.py). A reference at or below an entry of API_CAPABILITIES is a use; the messaging
functions are a capability only when called with an extension id (capabilities.py checks the
call); DISTINCTIVE names identify a capability on objects the analysis could not follow.
"""

from __future__ import annotations

from functools import lru_cache

# Browser APIs a fix may not start using: any reference at or below one of these paths.
API_CAPABILITIES = {
    "chrome.cookies": "cookies",
    "cookieStore": "cookies",
    "document.cookie": "cookies",
    "chrome.history": "browsing history",
    "chrome.sessions": "browsing history",
    "chrome.topSites": "browsing history",
    "chrome.bookmarks": "bookmarks",
    "chrome.readingList": "browsing history",
    "chrome.downloads": "downloads",
    "chrome.browsingData": "browsing data",
    "chrome.tabs": "tabs and their URLs",
    "chrome.windows": "windows and their tabs",
    "chrome.webNavigation": "page URLs",
    "chrome.webRequest": "network requests",
    "chrome.declarativeNetRequest": "network requests",
    "chrome.declarativeWebRequest": "network requests",
    "chrome.proxy": "proxy settings",
    "chrome.dns": "network",
    "chrome.socket": "network",
    "chrome.sockets": "network",
    "chrome.vpnProvider": "network",
    "chrome.identity": "the user's identity and tokens",
    "chrome.debugger": "the debugger protocol",
    "chrome.clipboard": "clipboard",
    "navigator.clipboard": "clipboard",
    "document.execCommand": "clipboard and editing commands",
    "chrome.management": "other extensions",
    "chrome.privacy": "privacy settings",
    "chrome.contentSettings": "site settings",
    "chrome.permissions": "permissions",
    "chrome.scripting": "code injection",
    "chrome.userScripts": "code injection",
    "chrome.devtools.inspectedWindow": "code injection",
    "chrome.tabCapture": "screen capture",
    "chrome.desktopCapture": "screen capture",
    "chrome.pageCapture": "screen capture",
    "chrome.enterprise": "device data",
    "chrome.platformKeys": "certificates",
    "chrome.certificateProvider": "certificates",
    "chrome.system": "device data",
    "chrome.gcm": "push messaging",
    "chrome.instanceID": "push messaging",
    "chrome.search": "search",
    "chrome.processes": "other processes",
    "chrome.runtime.sendNativeMessage": "native messaging",
    "chrome.runtime.connectNative": "native messaging",
    "chrome.runtime.onMessageExternal": "messages from other extensions",
    "chrome.runtime.onConnectExternal": "messages from other extensions",
    "chrome.runtime.setUninstallURL": "a remote page",
    "navigator.geolocation": "location",
    "navigator.credentials": "stored credentials",
    "navigator.mediaDevices": "camera and microphone",
    "navigator.usb": "devices",
    "navigator.hid": "devices",
    "navigator.serial": "devices",
    "navigator.bluetooth": "devices",
    "PasswordCredential": "stored credentials",
    "FederatedCredential": "stored credentials",
}
# Members of a capability namespace that reach nothing beyond the extension itself.
BENIGN_MEMBERS = {
    "chrome.tabs": {"sendMessage", "connect", "TAB_ID_NONE", "TAB_INDEX_NONE"},
    "chrome.windows": {"WINDOW_ID_NONE", "WINDOW_ID_CURRENT"},
}
# Messaging that leaves the extension when an extension id is passed.
MESSAGING = {
    "chrome.runtime.sendMessage": "sendMessage",
    "chrome.runtime.connect": "connect",
    "chrome.extension.sendMessage": "sendMessage",
    "chrome.extension.sendRequest": "sendMessage",
    "chrome.extension.connect": "connect",
}
# Names that identify a capability on whatever object they are read from (one the analysis could
# not follow), and namespace names seldom used for anything else.
DISTINCTIVE = {
    "sendNativeMessage": "chrome.runtime.sendNativeMessage",
    "connectNative": "chrome.runtime.connectNative",
    "onMessageExternal": "chrome.runtime.onMessageExternal",
    "onConnectExternal": "chrome.runtime.onConnectExternal",
    "getAuthToken": "chrome.identity.getAuthToken",
    "launchWebAuthFlow": "chrome.identity.launchWebAuthFlow",
    "getProfileUserInfo": "chrome.identity.getProfileUserInfo",
    "onBeforeSendHeaders": "chrome.webRequest.onBeforeSendHeaders",
    "onBeforeRequest": "chrome.webRequest.onBeforeRequest",
    "onHeadersReceived": "chrome.webRequest.onHeadersReceived",
    "onAuthRequired": "chrome.webRequest.onAuthRequired",
    "onSendHeaders": "chrome.webRequest.onSendHeaders",
    "updateDynamicRules": "chrome.declarativeNetRequest.updateDynamicRules",
    "updateSessionRules": "chrome.declarativeNetRequest.updateSessionRules",
    "captureVisibleTab": "chrome.tabs.captureVisibleTab",
    "executeScript": "chrome.scripting.executeScript",
    "getAllCookieStores": "chrome.cookies.getAllCookieStores",
    "clipboardData": "navigator.clipboard",
    "cookies": "chrome.cookies",
    "webRequest": "chrome.webRequest",
    "declarativeNetRequest": "chrome.declarativeNetRequest",
    "proxy": "chrome.proxy",
    "debugger": "chrome.debugger",
    "clipboard": "navigator.clipboard",
    "browsingData": "chrome.browsingData",
    "topSites": "chrome.topSites",
    "webNavigation": "chrome.webNavigation",
}
_ALL_PATHS = tuple(API_CAPABILITIES) + tuple(MESSAGING)


def _segments(path: str) -> list[str]:
    return path.split(".") if path else []


def covers(path: str, pattern: str) -> bool:
    """`path` is `pattern` or below it, `*` matching any one member."""
    have, want = _segments(path), _segments(pattern)
    return len(have) >= len(want) and all(h in ("*", w) for h, w in zip(have, want, strict=False))


def _could_reach(path: str, pattern: str) -> bool:
    """`path` is an object above `pattern`, or a wildcard that might be it."""
    if path == "*":
        return True
    have, want = _segments(path), _segments(pattern)
    return all(h in ("*", w) for h, w in zip(have, want, strict=False))


@lru_cache(maxsize=65536)
def classify(path: str) -> tuple[str, str] | None:
    """What reaching `path` means: ("api", label), ("messaging", kind), ("dynamic", pattern), or None."""
    if path.startswith("?"):
        return _classify_unresolved(_segments(path)[1:])
    wild = "*" in _segments(path) or path == "*"
    if wild:
        reached = next((p for p in _ALL_PATHS if _could_reach(path, p) or covers(path, p)), None)
        return ("dynamic", reached) if reached else None
    if path in MESSAGING:
        return "messaging", MESSAGING[path]
    for pattern, label in API_CAPABILITIES.items():
        if covers(path, pattern):
            rest = _segments(path)[len(_segments(pattern)) :]
            if rest and rest[0] in BENIGN_MEMBERS.get(pattern, ()):
                return None
            return "api", label
    # a global this file does not define (`api.identity.getAuthToken`) may be the API under
    # another name: judged by its members, like an object the analysis could not follow
    return None if path.startswith("chrome.") else _classify_unresolved(_segments(path)[1:])


def _classify_unresolved(members: list[str]) -> tuple[str, str] | None:
    if not members:
        return None
    last, before = members[-1], members[-2] if len(members) > 1 else ""
    if (
        last in ("sendMessage", "sendRequest")
        and before != "tabs"
        or (last == "connect" and before in ("runtime", "extension"))
    ):
        return "messaging", "connect" if last == "connect" else "sendMessage"
    for index, member in enumerate(members):
        if member in DISTINCTIVE and not (member == "proxy" and index == len(members) - 1):
            return classify(DISTINCTIVE[member])
    return None


@lru_cache(maxsize=65536)
def bearing(path: str) -> bool:
    """An object through which a capability can be reached (handing it on hands on the capability)."""
    if path.startswith("?") or path == "document":
        return False
    return path == "" or classify(path) is not None or any(_could_reach(path, p) for p in _ALL_PATHS)


__all__ = ["API_CAPABILITIES", "BENIGN_MEMBERS", "DISTINCTIVE", "MESSAGING", "bearing", "classify", "covers"]
