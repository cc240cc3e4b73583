/* PartyHub — the service worker of the delegate's meeting folders (served at /meetings/sw.js, scope /meetings/).

   It stores nothing by itself: the folder page ("Download for the meeting", static/meetings/folder.js) puts the
   pages, our static files, pdf.js and the delegate's packet copy into caches named "partyhub-folder-…", each
   with a small description (META_KEY: meeting, version, closing time). This worker:

   * answers the folder pages (/meetings/<id>/folder/, …/folder/read/, /meetings/my/) from the network first
     and from the stored folder when the network fails or is too slow — a page the server refuses (404) makes
     it delete that meeting's stored folder;
   * answers our static files (the ?static= prefix) from a stored folder when they are there, refreshing them
     in the background when the tablet is online;
   * deletes stored folders after their closing time (when it starts, and before answering a folder page).

   Everything else (the office pages, the API, uploads, range requests) goes to the network untouched. */

const CACHE_PREFIX = "partyhub-folder-";
const META_KEY = "/__partyhub-folder-meta__";
const PAGE_TIMEOUT_MS = 6000;
const PARTIAL_MAX_AGE_MS = 60 * 60 * 1000;

const STATIC_PREFIX = new URL(self.location.href).searchParams.get("static") || "/static/";
const SCOPE_PATH = new URL(self.registration.scope).pathname;

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

const FOLDER_PAGE = new RegExp(`^${escapeRegExp(SCOPE_PATH)}(\\d+)/folder/(?:read/)?$`);
const LIST_PAGE = `${SCOPE_PATH}my/`;

async function storedFolders() {
  const names = (await caches.keys()).filter((name) => name.startsWith(CACHE_PREFIX));
  const folders = [];
  for (const name of names) {
    const cache = await caches.open(name);
    const response = await cache.match(META_KEY);
    let meta = null;
    if (response) {
      try {
        meta = await response.json();
      } catch (error) {
        meta = null;
      }
    }
    folders.push({ name, cache, meta });
  }
  return folders;
}

function expired(meta, now) {
  if (!meta) return true;
  if (meta.partial) return now - (meta.startedAt || 0) > PARTIAL_MAX_AGE_MS;
  return Boolean(meta.closesAt) && Date.parse(meta.closesAt) <= now;
}

async function purgeExpired() {
  const now = Date.now();
  const kept = [];
  for (const folder of await storedFolders()) {
    if (expired(folder.meta, now)) await caches.delete(folder.name);
    else kept.push(folder);
  }
  return kept;
}

async function forgetMeeting(meetingId) {
  for (const folder of await storedFolders()) {
    if (folder.meta && String(folder.meta.meeting) === String(meetingId)) await caches.delete(folder.name);
  }
}

async function matchStored(request, options) {
  const folders = await purgeExpired();
  // The newest stored version first.
  folders.sort((a, b) => ((b.meta && b.meta.version) || 0) - ((a.meta && a.meta.version) || 0));
  for (const folder of folders) {
    if (folder.meta && folder.meta.partial) continue;
    const response = await folder.cache.match(request, { ignoreVary: true, ...options });
    if (response) return response;
  }
  return null;
}

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

async function folderPage(request, meetingId) {
  const url = new URL(request.url);
  const stored = await matchStored(url.origin + url.pathname, { ignoreSearch: true });
  if (!stored) return fetch(request);
  if (self.navigator && self.navigator.onLine === false) return stored;
  try {
    const response = await withTimeout(fetch(request), PAGE_TIMEOUT_MS);
    if (response.status === 404 && meetingId) {
      await forgetMeeting(meetingId);
      return response;
    }
    if (response.status >= 500) return stored;
    return response;
  } catch (error) {
    return stored;
  }
}

async function refreshStatic(request) {
  try {
    const response = await fetch(request, { cache: "no-store" });
    if (!response.ok || response.redirected) return;
    for (const folder of await storedFolders()) {
      if (await folder.cache.match(request, { ignoreVary: true })) await folder.cache.put(request, response.clone());
    }
  } catch (error) {
    // offline: keep what is stored
  }
}

async function staticFile(event) {
  const stored = await matchStored(event.request);
  if (stored) {
    if (self.navigator && self.navigator.onLine !== false) event.waitUntil(refreshStatic(event.request));
    return stored;
  }
  return fetch(event.request);
}

self.addEventListener("install", () => {
  self.skipWaiting();
});

self.addEventListener("activate", (event) => {
  event.waitUntil(purgeExpired().then(() => self.clients.claim()));
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "purge") event.waitUntil(purgeExpired());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET" || request.headers.has("range")) return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    const match = url.pathname.match(FOLDER_PAGE);
    if (match) event.respondWith(folderPage(request, match[1]));
    else if (url.pathname === LIST_PAGE) event.respondWith(folderPage(request, null));
    return;
  }
  if (url.pathname.startsWith(STATIC_PREFIX)) event.respondWith(staticFile(event));
});
