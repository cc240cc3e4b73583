/* PartyHub — the delegate's meeting folder, offline (my meetings, the folder, the reader).

   * Registers the service worker (/meetings/sw.js, scope /meetings/) that answers the stored folder pages and
     files when there is no Wi-Fi.
   * "Download for the meeting" stores, in one Cache Storage cache per delegate, meeting and packet version:
     the folder and reader pages, "my meetings", our CSS/JS, pdf.js and its worker (no web fonts are used),
     the delegate's own packet copy as ONE whole file (the reader opens it from the cache as bytes, so no
     HTTP range requests are needed offline), and a small description (version, copy URL, closing time).
     Then it tells the server that the folder is ready (the office sees it) — again later if that failed.
   * Stored folders are deleted after the folder's closing time (here on every page load, and in the
     service worker), and when the server refuses the folder.
   * Private notes are kept in localStorage with a client id (a UUID), sent to the server in batches (after
     each change, when the tablet comes back online, and every 20 s while some are unsent), idempotently.

   The page's data (URLs, version, translated texts) is in the JSON script #folder-data. Exposes
   window.PartyHubFolder for reader.js. */

const CACHE_PREFIX = "partyhub-folder-";
const META_KEY = "/__partyhub-folder-meta__";
const NOTES_PREFIX = "partyhub.notes.";
const SYNC_RETRY_MS = 20000;
const PARTIAL_MAX_AGE_MS = 60 * 60 * 1000;

const dataNode = document.getElementById("folder-data");
const data = dataNode ? JSON.parse(dataNode.textContent) : {};
const strings = data.strings || {};

function fmt(text, values) {
  return String(text || "").replace(/\{(\w+)\}/g, (match, key) => (values && key in values ? String(values[key]) : match));
}

function hasCaches() {
  return typeof window.caches !== "undefined";
}

function canStoreOffline() {
  return hasCaches() && "serviceWorker" in navigator && window.isSecureContext;
}

function newId() {
  if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
  const bytes = new Uint8Array(16);
  window.crypto.getRandomValues(bytes);
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function jsonResponse(value) {
  return new Response(JSON.stringify(value), { headers: { "Content-Type": "application/json" } });
}

// --- the service worker -------------------------------------------------------------------------------------

async function registerWorker() {
  if (!("serviceWorker" in navigator) || !data.swUrl) return null;
  const url = `${data.swUrl}?static=${encodeURIComponent(data.staticUrl || "/static/")}`;
  const registration = await navigator.serviceWorker.register(url, { scope: data.swScope || "/meetings/" });
  return registration;
}

// --- stored folders -----------------------------------------------------------------------------------------

async function storedFolders() {
  if (!hasCaches()) return [];
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
    folders.push({ name, meta });
  }
  return folders;
}

function isExpired(meta, now) {
  if (!meta) return true;
  if (meta.partial) return now - (meta.startedAt || 0) > PARTIAL_MAX_AGE_MS;
  return Boolean(meta.closesAt) && Date.parse(meta.closesAt) <= now;
}

/** Delete stored folders (and their notes) whose folder has closed. */
async function purgeExpired() {
  const now = Date.now();
  for (const folder of await storedFolders()) {
    if (isExpired(folder.meta, now)) await caches.delete(folder.name);
  }
  for (let i = localStorage.length - 1; i >= 0; i -= 1) {
    const key = localStorage.key(i);
    if (!key || !key.startsWith(NOTES_PREFIX)) continue;
    try {
      const stored = JSON.parse(localStorage.getItem(key));
      if (stored && stored.closesAt && Date.parse(stored.closesAt) <= now) localStorage.removeItem(key);
    } catch (error) {
      localStorage.removeItem(key);
    }
  }
}

async function storedFolder(user, meeting) {
  const mine = (await storedFolders()).filter(
    (f) => f.meta && !f.meta.partial && f.meta.user === user && f.meta.meeting === meeting,
  );
  mine.sort((a, b) => b.meta.version - a.meta.version);
  return mine[0] || null;
}

async function removeStored(user, meeting) {
  for (const folder of await storedFolders()) {
    if (folder.name.startsWith(`${CACHE_PREFIX}${user}-${meeting}-`)) await caches.delete(folder.name);
  }
}

async function writeMeta(name, meta) {
  const cache = await caches.open(name);
  await cache.put(META_KEY, jsonResponse(meta));
}

// --- talking to the server ----------------------------------------------------------------------------------

class ServerError extends Error {
  constructor(kind, message) {
    super(message || kind);
    this.kind = kind; // "offline" | "sign-in" | "refused" | "invalid" | "server"
  }
}

let csrfToken = null;

async function fetchState() {
  let response;
  try {
    response = await fetch(data.stateUrl, {
      credentials: "same-origin",
      cache: "no-store",
      headers: { Accept: "application/json" },
    });
  } catch (error) {
    throw new ServerError("offline");
  }
  const type = response.headers.get("Content-Type") || "";
  if (response.redirected || (response.ok && !type.includes("json"))) throw new ServerError("sign-in");
  if (response.status === 404) throw new ServerError("refused");
  if (!response.ok) throw new ServerError("server", String(response.status));
  const state = await response.json();
  csrfToken = state.csrfToken || csrfToken;
  return state;
}

function messagesOf(body) {
  const out = [];
  const walk = (value) => {
    if (value == null) return;
    if (typeof value === "string") out.push(value);
    else if (Array.isArray(value)) value.forEach(walk);
    else if (typeof value === "object") Object.values(value).forEach(walk);
  };
  walk(body);
  return out.join(" ");
}

async function postJson(url, body) {
  if (!csrfToken) await fetchState();
  let response;
  try {
    response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      cache: "no-store",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken || "" },
      body: JSON.stringify(body),
    });
  } catch (error) {
    throw new ServerError("offline");
  }
  if (response.redirected || response.status === 401 || response.status === 403) throw new ServerError("sign-in");
  if (response.status === 404) throw new ServerError("refused");
  if (response.status === 400) {
    let message = "";
    try {
      message = messagesOf(await response.json());
    } catch (error) {
      message = "";
    }
    throw new ServerError("invalid", message);
  }
  if (!response.ok) throw new ServerError("server", String(response.status));
  return response.json();
}

// --- notes --------------------------------------------------------------------------------------------------

class NoteStore {
  constructor(user, meeting) {
    this.key = `${NOTES_PREFIX}${user}.${meeting}`;
    this.closesAt = data.closesAt || null;
    this.load();
  }

  load() {
    let stored = null;
    try {
      stored = JSON.parse(localStorage.getItem(this.key) || "null");
    } catch (error) {
      stored = null;
    }
    this.notes = (stored && stored.notes) || {};
    if (stored && stored.closesAt && !this.closesAt) this.closesAt = stored.closesAt;
  }

  save() {
    localStorage.setItem(this.key, JSON.stringify({ closesAt: this.closesAt, notes: this.notes }));
  }

  all() {
    return Object.values(this.notes).filter((n) => !n.deleted);
  }

  find(documentId, page) {
    const doc = documentId == null ? null : documentId;
    return this.all().find((n) => (n.document == null ? null : n.document) === doc && n.page === page) || null;
  }

  write(documentId, page, text) {
    this.load();
    let note = this.find(documentId, page);
    const blank = !String(text || "").trim();
    if (!note) {
      if (blank) return null;
      note = { client_id: newId(), document: documentId == null ? null : documentId, page, text: "", deleted: false };
      this.notes[note.client_id] = note;
    }
    note.text = blank ? "" : String(text);
    note.deleted = blank;
    note.client_updated_at = new Date().toISOString();
    note.dirty = true;
    this.save();
    return note;
  }

  unsent() {
    return Object.values(this.notes).filter((n) => n.dirty);
  }

  /** Take the server's notes, keeping local changes made while the batch was on its way. */
  merge(serverNotes, sent) {
    this.load();
    const sentAt = new Map(sent.map((n) => [n.client_id, n.client_updated_at]));
    const seen = new Set();
    for (const note of serverNotes) {
      seen.add(note.client_id);
      const local = this.notes[note.client_id];
      if (local && local.dirty && local.client_updated_at !== sentAt.get(note.client_id)) continue;
      if (note.deleted) {
        delete this.notes[note.client_id];
      } else {
        this.notes[note.client_id] = {
          client_id: note.client_id,
          document: note.document,
          page: note.page,
          text: note.text,
          client_updated_at: note.client_updated_at,
          deleted: false,
          dirty: false,
        };
      }
    }
    for (const [id, note] of Object.entries(this.notes)) {
      if (!seen.has(id) && !note.dirty) delete this.notes[id];
    }
    this.save();
  }
}

const notes = data.meeting && data.user ? new NoteStore(data.user, data.meeting) : null;
const noteListeners = [];
let syncing = false;
let syncAgain = false;

function noteStatus(kind, message) {
  const text =
    message ||
    { saved: strings.saved, saving: strings.saving, pending: strings.saved_here, "sign-in": strings.sign_in }[kind] ||
    "";
  document.querySelectorAll("[data-note-status]").forEach((el) => {
    el.textContent = text;
    el.classList.toggle("is-saved", kind === "saved");
    el.classList.toggle("is-pending", kind === "pending" || kind === "saving");
    el.classList.toggle("is-error", kind === "sign-in" || kind === "error");
    el.dataset.state = kind;
  });
  noteListeners.forEach((fn) => fn(kind));
}

async function syncNotes({ quiet = false } = {}) {
  if (!notes || !data.syncUrl) return;
  if (syncing) {
    syncAgain = true;
    return;
  }
  const batch = notes.unsent().map(({ dirty, ...note }) => note);
  if (!navigator.onLine) {
    if (batch.length) noteStatus("pending");
    return;
  }
  syncing = true;
  if (batch.length && !quiet) noteStatus("saving");
  try {
    await fetchState();
    const body = await postJson(data.syncUrl, { notes: batch });
    notes.merge(body.notes || [], batch);
    if (batch.length || !quiet) noteStatus(notes.unsent().length ? "pending" : "saved");
    noteListeners.forEach((fn) => fn("merged"));
  } catch (error) {
    if (error.kind === "sign-in") noteStatus("sign-in");
    else if (error.kind === "invalid") noteStatus("error", fmt(strings.sync_failed, { message: error.message }));
    else if (batch.length) noteStatus("pending");
  } finally {
    syncing = false;
    if (syncAgain) {
      syncAgain = false;
      syncNotes();
    }
  }
}

let syncTimer = null;
function noteChanged() {
  noteStatus(navigator.onLine ? "saving" : "pending");
  clearTimeout(syncTimer);
  syncTimer = setTimeout(() => syncNotes(), 400);
}

// --- downloading the folder ---------------------------------------------------------------------------------

async function storeUrl(cache, url) {
  const response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
  if (!response.ok || response.redirected) throw new ServerError(response.redirected ? "sign-in" : "server", url);
  await cache.put(url, response);
}

async function storePdf(cache, url, version, progress) {
  const response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
  if (!response.ok || response.redirected) throw new ServerError(response.redirected ? "sign-in" : "server", url);
  const total = Number(response.headers.get("Content-Length")) || 0;
  const chunks = [];
  let received = 0;
  if (response.body && response.body.getReader) {
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      received += value.length;
      if (total) progress(Math.min(1, received / total));
    }
  } else {
    chunks.push(new Uint8Array(await response.arrayBuffer()));
  }
  const blob = new Blob(chunks, { type: "application/pdf" });
  await cache.put(
    url,
    new Response(blob, {
      headers: {
        "Content-Type": "application/pdf",
        "Content-Length": String(blob.size),
        "X-Packet-Version": String(version),
      },
    }),
  );
}

async function reportReady(name, meta) {
  try {
    await postJson(data.readyUrl, { version: meta.version });
    meta.reported = true;
    await writeMeta(name, meta);
    return true;
  } catch (error) {
    return false;
  }
}

async function downloadFolder(progress) {
  if (!canStoreOffline()) throw new ServerError("unsupported");
  await registerWorker();
  await navigator.serviceWorker.ready;
  const state = await fetchState();
  if (!state.version || !state.copyUrl) throw new ServerError("server", "no copy");
  const name = `${CACHE_PREFIX}${data.user}-${data.meeting}-v${state.version}`;
  await caches.delete(name);
  const cache = await caches.open(name);
  try {
    await cache.put(META_KEY, jsonResponse({ partial: true, startedAt: Date.now() }));
    const urls = data.offlineUrls || [];
    const weight = urls.length + 10; // the PDF weighs as much as ten small files
    let done = 0;
    for (const url of urls) {
      await storeUrl(cache, url);
      done += 1;
      progress(done / weight);
    }
    await storePdf(cache, state.copyUrl, state.version, (part) => progress((urls.length + 10 * part) / weight));
    if (notes) {
      notes.closesAt = state.closesAt;
      notes.save();
      await syncNotes({ quiet: true });
    }
    const meta = {
      meeting: data.meeting,
      user: data.user,
      version: state.version,
      copyUrl: state.copyUrl,
      closesAt: state.closesAt,
      storedAt: new Date().toISOString(),
      reported: false,
    };
    await cache.put(META_KEY, jsonResponse(meta));
    for (const folder of await storedFolders()) {
      if (folder.name !== name && folder.name.startsWith(`${CACHE_PREFIX}${data.user}-${data.meeting}-`)) {
        await caches.delete(folder.name);
      }
    }
    await reportReady(name, meta);
    progress(1);
    return meta;
  } catch (error) {
    await caches.delete(name);
    throw error;
  }
}

/** The delegate's packet copy for pdf.js: the stored bytes when the folder is on the tablet (and is the
    version this page shows, or there is no connection), else the URL. */
async function packetSource() {
  const stored = await storedFolder(data.user, data.meeting).catch(() => null);
  if (stored && (stored.meta.version === data.version || !navigator.onLine)) {
    const cache = await caches.open(stored.name);
    const response = await cache.match(stored.meta.copyUrl, { ignoreVary: true });
    if (response) {
      return { data: new Uint8Array(await response.arrayBuffer()), stored: true, version: stored.meta.version };
    }
  }
  return { url: data.copyUrl, stored: false, version: data.version };
}

// --- the page -----------------------------------------------------------------------------------------------

function showOfflineNote() {
  document.querySelectorAll("[data-offline-note]").forEach((el) => {
    el.textContent = strings.offline || "";
    el.hidden = navigator.onLine;
  });
}

function setUpFolderPage(root) {
  const status = root.querySelector("[data-offline-status]");
  const downloadButton = root.querySelector("[data-download]");
  const removeButton = root.querySelector("[data-remove]");
  const progressBox = root.querySelector("[data-progress]");
  const progressBar = root.querySelector("[data-progress-bar]");
  const newVersion = root.querySelector("[data-new-version]");

  function say(text, kind) {
    if (!status) return;
    status.textContent = text;
    status.classList.toggle("is-ready", kind === "ready");
    status.classList.toggle("is-error", kind === "error");
    status.dataset.state = kind || "";
  }

  function showStored(meta) {
    if (meta) {
      say(fmt(strings.downloaded, { version: meta.version }), "ready");
      root.dataset.offlineVersion = String(meta.version);
    } else {
      say(strings.not_stored, "missing");
      delete root.dataset.offlineVersion;
    }
    if (removeButton) removeButton.hidden = !meta;
  }

  function offerNewVersion(version) {
    if (!newVersion) return;
    newVersion.textContent = fmt(strings.new_version, { version });
    newVersion.hidden = false;
  }

  async function refresh() {
    const stored = await storedFolder(data.user, data.meeting).catch(() => null);
    showStored(stored && stored.meta);
    if (stored && data.version && stored.meta.version < data.version) offerNewVersion(data.version);
    if (!navigator.onLine) return;
    try {
      const state = await fetchState();
      if (stored) {
        if (state.version && state.version > stored.meta.version) offerNewVersion(state.version);
        let changed = false;
        if (state.closesAt && state.closesAt !== stored.meta.closesAt) {
          stored.meta.closesAt = state.closesAt;
          changed = true;
        }
        if (changed) await writeMeta(stored.name, stored.meta);
        if (!stored.meta.reported && state.version === stored.meta.version) await reportReady(stored.name, stored.meta);
      }
    } catch (error) {
      if (error.kind === "refused") {
        await removeStored(data.user, data.meeting);
        showStored(null);
        say(strings.closed, "error");
      }
    }
  }

  if (downloadButton) {
    if (!canStoreOffline()) {
      downloadButton.disabled = true;
      say(strings.no_offline, "error");
    }
    downloadButton.addEventListener("click", async () => {
      downloadButton.disabled = true;
      if (progressBox) progressBox.hidden = false;
      const progress = (part) => {
        const percent = `${Math.round(part * 100)}%`;
        if (progressBar) progressBar.style.width = percent;
        say(fmt(strings.downloading, { percent }), "busy");
      };
      progress(0);
      try {
        const meta = await downloadFolder(progress);
        data.version = meta.version;
        if (newVersion) newVersion.hidden = true;
        showStored(meta);
      } catch (error) {
        if (window.console) console.warn("Folder download:", error);
        say(
          error.kind === "sign-in" ? strings.sign_in : error.kind === "unsupported" ? strings.no_offline : strings.download_failed,
          "error",
        );
      } finally {
        downloadButton.disabled = false;
        if (progressBox) progressBox.hidden = true;
      }
    });
  }
  if (removeButton) {
    removeButton.addEventListener("click", async () => {
      await removeStored(data.user, data.meeting);
      showStored(null);
      say(strings.removed, "missing");
    });
  }
  window.addEventListener("online", refresh);
  refresh();
}

async function setUpList(root) {
  if (!hasCaches()) return;
  const folders = (await storedFolders()).filter((f) => f.meta && !f.meta.partial && f.meta.user === data.user);
  root.querySelectorAll("[data-meeting]").forEach((card) => {
    const meeting = Number(card.dataset.meeting);
    const latest = Number(card.dataset.version) || null;
    const versions = folders.filter((f) => f.meta.meeting === meeting).map((f) => f.meta.version);
    const stored = versions.length ? Math.max(...versions) : null;
    let state = "missing";
    if (stored !== null) state = latest && stored < latest ? "outdated" : "ready";
    card.dataset.offline = state;
    card.querySelectorAll("[data-badge]").forEach((badge) => {
      badge.hidden = badge.dataset.badge !== state;
    });
  });
}

async function start() {
  showOfflineNote();
  window.addEventListener("online", showOfflineNote);
  window.addEventListener("offline", showOfflineNote);
  if (hasCaches()) await purgeExpired().catch(() => {});
  if (canStoreOffline() && navigator.onLine) {
    registerWorker().catch((error) => window.console && console.warn("Service worker:", error));
  }

  const folderRoot = document.querySelector("[data-folder-page]");
  if (folderRoot) setUpFolderPage(folderRoot);
  const listRoot = document.querySelector("[data-folder-list]");
  if (listRoot) setUpList(listRoot);
  const readerRoot = document.querySelector("[data-reader]");
  if (readerRoot && navigator.onLine && data.stateUrl) {
    // The reader may be a stored page: say so when the server has a newer version.
    fetchState()
      .then((state) => {
        const banner = readerRoot.querySelector("[data-new-version]");
        if (banner && state.version && data.version && state.version > data.version) {
          banner.textContent = fmt(strings.new_version, { version: state.version });
          banner.hidden = false;
        }
      })
      .catch(() => {});
  }

  if (notes && data.syncUrl) {
    window.addEventListener("online", () => syncNotes());
    setInterval(() => {
      if (notes.unsent().length) syncNotes();
    }, SYNC_RETRY_MS);
    syncNotes({ quiet: true });
  }
}

window.PartyHubFolder = {
  data,
  strings,
  fmt,
  notes,
  noteChanged,
  syncNotes,
  onNotes: (fn) => noteListeners.push(fn),
  packetSource,
  storedFolder,
  purgeExpired,
};

start();
