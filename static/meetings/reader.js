/* PartyHub — the reader of the delegate's packet copy (pdf.js, vendored) on a tablet.

   Markup: templates/meetings/folder/reader.html ([data-reader]); data and texts from folder.js
   (window.PartyHubFolder). The copy is opened from the folder stored on the tablet when there is one (as
   bytes: no network, no range requests), else from the server. One page is drawn at a time (tablets have
   little memory), sharp on high-density screens, fitted to the width unless the reader zooms. Pages turn
   with the buttons, the arrow keys or a swipe; #page=N opens a page (the agenda links to each document's
   first page). Thumbnails are drawn only when they scroll into view. The search folds Vietnamese
   diacritics ("nghi quyet" finds "Nghị quyết"), lists the pages found and highlights the words on the page.
   The note panel keeps one private note per page (page within the document, or of the packet outside any
   document), saved on the tablet at once and sent to the server by folder.js. */

const F = window.PartyHubFolder;
const ZOOM_STEPS = [0.5, 0.67, 0.8, 1, 1.25, 1.5, 2, 2.5, 3, 4];
const MAX_PIXEL_RATIO = 2;
const THUMB_WIDTH = 120;
const MAX_RESULTS = 200;

function fold(text) {
  let out = "";
  const map = [];
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i];
    if (/\s/.test(ch)) {
      if (out === "" || out.endsWith(" ")) continue;
      out += " ";
      map.push(i);
      continue;
    }
    let folded = ch === "đ" || ch === "Đ" ? "d" : ch.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
    if (ch === "Ð") folded = "d"; // U+00D0, a frequent misreading of Đ
    for (const part of folded) {
      out += part;
      map.push(i);
    }
  }
  return { text: out, map };
}

function setUp(root) {
  const data = F.data;
  const strings = F.strings;
  const contents = (data.contents || []).filter((e) => e.first_page && e.pages);

  const el = (selector) => root.querySelector(selector);
  const stage = el("[data-stage]");
  const canvas = el("[data-canvas]");
  const highlights = el("[data-highlights]");
  const status = el("[data-status]");
  const pageInput = el("[data-page-input]");
  const pageCount = el("[data-page-count]");
  const zoomLevel = el("[data-zoom-level]");
  const prev = el("[data-prev]");
  const next = el("[data-next]");
  const fitButton = el("[data-fit]");
  const docLabel = el("[data-doc-label]");
  const body = el(".mf-reader-body");
  const thumbs = el("[data-thumbs]");
  const searchForm = el("[data-search-form]");
  const searchInput = el("[data-search-input]");
  const searchStatus = el("[data-search-status]");
  const searchResults = el("[data-search-results]");
  const noteText = el("[data-note-text]");
  const noteLabel = el("[data-note-label]");
  const noteDelete = el("[data-note-delete]");
  const notePages = el("[data-note-pages]");
  const noteMark = el("[data-note-mark]");

  const state = { lib: null, pdf: null, page: 1, scale: 1, fit: true, task: null, pending: null, query: "" };
  const texts = new Map();

  function say(text) {
    status.textContent = text || "";
  }

  function fail(error) {
    if (window.console) console.warn("Reader:", error);
    root.dataset.failed = "true";
    say(strings.error);
  }

  // --- where a page belongs ---------------------------------------------------------------------------------

  function entryFor(page) {
    return contents.find((e) => page >= e.first_page && page < e.first_page + e.pages) || null;
  }

  function placeOf(page) {
    const entry = entryFor(page);
    if (entry && entry.document != null) return { document: entry.document, page: page - entry.first_page + 1, entry };
    return { document: null, page, entry };
  }

  function packetPageOf(note) {
    if (note.document == null) return note.page;
    const entry = contents.find((e) => e.document === note.document);
    if (!entry || note.page > entry.pages) return null;
    return entry.first_page + note.page - 1;
  }

  function pageFromHash() {
    const match = /page=(\d+)/.exec(window.location.hash || "");
    return match ? parseInt(match[1], 10) : null;
  }

  // --- drawing ----------------------------------------------------------------------------------------------

  function fitScale(page) {
    const width = page.getViewport({ scale: 1 }).width;
    const available = Math.max(200, stage.clientWidth - 20);
    return available / width;
  }

  async function render(number) {
    if (!state.pdf) return;
    if (state.task) {
      state.pending = number;
      return;
    }
    const previous = state.page;
    state.page = Math.min(Math.max(1, number), state.pdf.numPages);
    if (previous !== state.page) flushNote(previous);
    const page = await state.pdf.getPage(state.page);
    if (state.fit) state.scale = fitScale(page);
    const viewport = page.getViewport({ scale: state.scale });
    const ratio = Math.min(window.devicePixelRatio || 1, MAX_PIXEL_RATIO);
    canvas.width = Math.floor(viewport.width * ratio);
    canvas.height = Math.floor(viewport.height * ratio);
    canvas.style.width = `${Math.floor(viewport.width)}px`;
    canvas.style.height = `${Math.floor(viewport.height)}px`;
    state.task = page.render({
      canvasContext: canvas.getContext("2d"),
      viewport,
      transform: ratio !== 1 ? [ratio, 0, 0, ratio, 0, 0] : null,
    });
    try {
      await state.task.promise;
    } catch (error) {
      if (!error || error.name !== "RenderingCancelledException") throw error;
    } finally {
      state.task = null;
    }
    await drawHighlights(viewport);
    afterRender();
    if (state.pending !== null) {
      const again = state.pending;
      state.pending = null;
      await render(again);
    }
  }

  function afterRender() {
    const total = state.pdf.numPages;
    pageInput.value = String(state.page);
    prev.disabled = state.page <= 1;
    next.disabled = state.page >= total;
    zoomLevel.textContent = `${Math.round(state.scale * 100)}%`;
    fitButton.setAttribute("aria-pressed", String(state.fit));
    const place = placeOf(state.page);
    if (place.entry && place.entry.document != null) {
      docLabel.textContent = F.fmt(strings.doc_page, { title: place.entry.title, page: place.page, pages: place.entry.pages });
    } else {
      docLabel.textContent = F.fmt(strings.page_of, { page: state.page, pages: total });
    }
    canvas.setAttribute("aria-label", F.fmt(strings.page_of, { page: state.page, pages: total }));
    if (window.history && window.history.replaceState) window.history.replaceState(null, "", `#page=${state.page}`);
    root.dataset.page = String(state.page);
    root.dataset.rendered = "true";
    markCurrentThumb();
    if (!editing) showNote();
  }

  function go(number) {
    render(number).catch(fail);
  }

  function zoom(direction) {
    const current = state.scale;
    let target;
    if (direction > 0) target = ZOOM_STEPS.find((s) => s > current + 0.01) || ZOOM_STEPS[ZOOM_STEPS.length - 1];
    else target = ZOOM_STEPS.slice().reverse().find((s) => s < current - 0.01) || ZOOM_STEPS[0];
    state.fit = false;
    state.scale = target;
    go(state.page);
  }

  // --- text and search --------------------------------------------------------------------------------------

  async function pageText(number) {
    if (texts.has(number)) return texts.get(number);
    const page = await state.pdf.getPage(number);
    const content = await page.getTextContent();
    let text = "";
    const segments = [];
    let last = null; // where the previous piece of text ended: { x, y, size }
    for (const item of content.items) {
      if (typeof item.str !== "string") continue;
      const [, , c, d, x, y] = item.transform;
      const size = Math.hypot(c, d) || 1;
      // Pieces of text on another line, or apart on the same line, are separate words.
      if (last && item.str && !/\s$/.test(text)) {
        if (Math.abs(y - last.y) > last.size * 0.5) text += "\n";
        else if (x - last.x > size * 0.15) text += " ";
      }
      const start = text.length;
      text += item.str;
      if (item.str) {
        segments.push({ start, end: text.length, item });
        last = { x: x + (item.width || 0), y, size };
      }
      if (item.hasEOL) text += "\n";
    }
    const folded = fold(text);
    const entry = { text, folded: folded.text, map: folded.map, segments };
    texts.set(number, entry);
    return entry;
  }

  function matchesIn(entry, query) {
    const found = [];
    if (!query) return found;
    let at = entry.folded.indexOf(query);
    while (at !== -1) {
      const start = entry.map[at];
      const end = entry.map[at + query.length - 1] + 1;
      found.push({ start, end });
      at = entry.folded.indexOf(query, at + Math.max(1, query.length));
    }
    return found;
  }

  async function drawHighlights(viewport) {
    highlights.replaceChildren();
    highlights.style.width = canvas.style.width;
    highlights.style.height = canvas.style.height;
    const query = fold(state.query).text.trim();
    if (!query || !state.lib) return;
    const entry = await pageText(state.page);
    let count = 0;
    for (const match of matchesIn(entry, query)) {
      for (const segment of entry.segments) {
        if (segment.end <= match.start || segment.start >= match.end) continue;
        const tx = state.lib.Util.transform(viewport.transform, segment.item.transform);
        const height = Math.hypot(tx[2], tx[3]) || 10;
        const width = (segment.item.width || 0) * viewport.scale;
        const length = Math.max(1, segment.end - segment.start);
        const from = Math.max(match.start, segment.start) - segment.start;
        const to = Math.min(match.end, segment.end) - segment.start;
        const box = document.createElement("div");
        box.className = "mf-highlight";
        box.style.left = `${tx[4] + (width * from) / length}px`;
        box.style.top = `${tx[5] - height}px`;
        box.style.width = `${Math.max(4, (width * (to - from)) / length)}px`;
        box.style.height = `${height * 1.2}px`;
        highlights.appendChild(box);
        count += 1;
      }
    }
    root.dataset.highlights = String(count);
  }

  let searchRun = 0;
  async function search(raw) {
    const query = fold(raw).text.trim();
    const run = ++searchRun;
    state.query = raw;
    searchResults.replaceChildren();
    if (!query || !state.pdf) {
      searchStatus.textContent = "";
      go(state.page);
      return;
    }
    searchStatus.textContent = strings.searching;
    const pages = [];
    for (let number = 1; number <= state.pdf.numPages; number += 1) {
      const entry = await pageText(number);
      if (run !== searchRun) return;
      const found = matchesIn(entry, query);
      if (!found.length) continue;
      pages.push(number);
      if (pages.length <= MAX_RESULTS) searchResults.appendChild(resultItem(number, entry, found[0]));
    }
    searchStatus.textContent = pages.length ? F.fmt(strings.results, { count: pages.length }) : strings.no_results;
    root.dataset.searchPages = pages.join(",");
    if (pages.length) go(pages.includes(state.page) ? state.page : pages[0]);
    else go(state.page);
  }

  function resultItem(number, entry, match) {
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "mf-result";
    button.dataset.page = String(number);
    const label = document.createElement("strong");
    label.textContent = F.fmt(strings.result_page, { page: number });
    const from = Math.max(0, match.start - 40);
    const to = Math.min(entry.text.length, match.end + 40);
    const mark = document.createElement("mark");
    mark.textContent = entry.text.slice(match.start, match.end);
    button.append(
      label,
      document.createTextNode(` ${from > 0 ? "…" : ""}${entry.text.slice(from, match.start).replace(/\s+/g, " ")}`),
      mark,
      document.createTextNode(`${entry.text.slice(match.end, to).replace(/\s+/g, " ")}${to < entry.text.length ? "…" : ""}`),
    );
    button.addEventListener("click", () => go(number));
    li.appendChild(button);
    return li;
  }

  // --- thumbnails -------------------------------------------------------------------------------------------

  let thumbsBuilt = false;
  const thumbQueue = [];
  let thumbBusy = false;

  async function drawNextThumb() {
    if (thumbBusy) return;
    thumbBusy = true;
    try {
      while (thumbQueue.length) {
        const { number, thumbCanvas } = thumbQueue.shift();
        if (thumbCanvas.dataset.drawn) continue;
        const page = await state.pdf.getPage(number);
        const viewport = page.getViewport({ scale: THUMB_WIDTH / page.getViewport({ scale: 1 }).width });
        thumbCanvas.width = Math.floor(viewport.width);
        thumbCanvas.height = Math.floor(viewport.height);
        await page.render({ canvasContext: thumbCanvas.getContext("2d"), viewport }).promise;
        thumbCanvas.dataset.drawn = "true";
      }
    } catch (error) {
      if (window.console) console.warn("Thumbnail:", error);
    } finally {
      thumbBusy = false;
    }
  }

  function buildThumbs() {
    if (thumbsBuilt || !state.pdf) return;
    thumbsBuilt = true;
    const observer =
      "IntersectionObserver" in window
        ? new IntersectionObserver(
            (entries) => {
              for (const entry of entries) {
                if (!entry.isIntersecting) continue;
                observer.unobserve(entry.target);
                thumbQueue.push({ number: Number(entry.target.dataset.page), thumbCanvas: entry.target.querySelector("canvas") });
              }
              drawNextThumb();
            },
            { root: thumbs.closest("[data-panel]"), rootMargin: "200px" },
          )
        : null;
    for (let number = 1; number <= state.pdf.numPages; number += 1) {
      const li = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "mf-thumb";
      button.dataset.page = String(number);
      button.setAttribute("aria-label", F.fmt(strings.thumbnail, { page: number }));
      const thumbCanvas = document.createElement("canvas");
      thumbCanvas.width = THUMB_WIDTH;
      thumbCanvas.height = Math.round(THUMB_WIDTH * 1.414);
      const label = document.createElement("span");
      label.className = "mf-thumb-label";
      label.textContent = String(number);
      button.append(thumbCanvas, label);
      button.addEventListener("click", () => go(number));
      li.appendChild(button);
      thumbs.appendChild(li);
      if (observer) observer.observe(button);
      else thumbQueue.push({ number, thumbCanvas });
    }
    if (!observer) drawNextThumb();
    markCurrentThumb();
    markNotedPages();
  }

  function markCurrentThumb() {
    thumbs.querySelectorAll(".mf-thumb").forEach((button) => {
      if (Number(button.dataset.page) === state.page) button.setAttribute("aria-current", "page");
      else button.removeAttribute("aria-current");
    });
  }

  // --- notes ------------------------------------------------------------------------------------------------

  let editing = null; // { place, timer }

  function flushNote() {
    if (!editing) return;
    clearTimeout(editing.timer);
    const { place } = editing;
    editing = null;
    F.notes.write(place.document, place.page, noteText.value);
    F.noteChanged();
    markNotedPages();
  }

  function showNote() {
    if (!F.notes) return;
    const place = placeOf(state.page);
    const note = F.notes.find(place.document, place.page);
    noteText.value = note ? note.text : "";
    noteLabel.textContent = F.fmt(strings.note_for, { page: state.page });
    noteDelete.hidden = !note;
    noteMark.hidden = !note;
  }

  function markNotedPages() {
    if (!F.notes) return;
    const pages = [...new Set(F.notes.all().map(packetPageOf).filter((p) => p))].sort((a, b) => a - b);
    notePages.replaceChildren(
      ...pages.map((number) => {
        const li = document.createElement("li");
        const button = document.createElement("button");
        button.type = "button";
        button.textContent = F.fmt(strings.result_page, { page: number });
        button.addEventListener("click", () => go(number));
        li.appendChild(button);
        return li;
      }),
    );
    thumbs.querySelectorAll(".mf-thumb").forEach((button) => {
      const noted = pages.includes(Number(button.dataset.page));
      button.classList.toggle("has-note", noted);
      if (noted) button.setAttribute("aria-description", strings.has_note);
      else button.removeAttribute("aria-description");
    });
    const place = placeOf(state.page);
    const note = F.notes.find(place.document, place.page);
    noteMark.hidden = !note;
    noteDelete.hidden = !note;
  }

  if (F.notes && noteText) {
    noteText.addEventListener("input", () => {
      if (!editing) editing = { place: placeOf(state.page), timer: null };
      clearTimeout(editing.timer);
      editing.timer = setTimeout(flushNote, 600);
    });
    noteText.addEventListener("blur", flushNote);
    noteDelete.addEventListener("click", () => {
      editing = null;
      noteText.value = "";
      const place = placeOf(state.page);
      F.notes.write(place.document, place.page, "");
      F.noteChanged();
      markNotedPages();
    });
    F.onNotes((kind) => {
      if (kind === "merged") {
        if (!editing && document.activeElement !== noteText) showNote();
        markNotedPages();
      }
    });
    window.addEventListener("pagehide", flushNote);
  }

  // --- panels -----------------------------------------------------------------------------------------------

  root.querySelectorAll("[data-panel-toggle]").forEach((toggle) => {
    toggle.addEventListener("click", () => {
      const name = toggle.dataset.panelToggle;
      const opening = toggle.getAttribute("aria-expanded") !== "true";
      root.querySelectorAll("[data-panel-toggle]").forEach((other) => other.setAttribute("aria-expanded", "false"));
      root.querySelectorAll("[data-panel]").forEach((panel) => {
        panel.hidden = !(opening && panel.dataset.panel === name);
      });
      toggle.setAttribute("aria-expanded", String(opening));
      body.classList.toggle("has-panel", opening);
      if (opening && name === "thumbs") buildThumbs();
      if (opening && name === "search") searchInput.focus();
      if (opening && name === "notes") noteText.focus();
      if (state.fit && window.matchMedia("(min-width: 62em)").matches) go(state.page);
    });
  });

  // --- controls ---------------------------------------------------------------------------------------------

  prev.addEventListener("click", () => go(state.page - 1));
  next.addEventListener("click", () => go(state.page + 1));
  el("[data-zoom-in]").addEventListener("click", () => zoom(1));
  el("[data-zoom-out]").addEventListener("click", () => zoom(-1));
  fitButton.addEventListener("click", () => {
    state.fit = true;
    go(state.page);
  });
  pageInput.addEventListener("change", () => {
    const wanted = parseInt(pageInput.value, 10);
    if (!Number.isNaN(wanted)) go(wanted);
  });
  searchForm.addEventListener("submit", (event) => {
    event.preventDefault();
    search(searchInput.value).catch(fail);
  });
  stage.addEventListener("keydown", (event) => {
    if (event.key === "ArrowRight" || event.key === "PageDown") {
      event.preventDefault();
      go(state.page + 1);
    } else if (event.key === "ArrowLeft" || event.key === "PageUp") {
      event.preventDefault();
      go(state.page - 1);
    }
  });
  window.addEventListener("hashchange", () => {
    const wanted = pageFromHash();
    if (wanted && wanted !== state.page) go(wanted);
  });

  // Swipe left/right to turn pages, only when the page fits the width (otherwise the finger pans).
  let touchX = null;
  let touchY = null;
  stage.addEventListener(
    "touchstart",
    (event) => {
      if (event.touches.length === 1) {
        touchX = event.touches[0].clientX;
        touchY = event.touches[0].clientY;
      } else {
        touchX = null;
      }
    },
    { passive: true },
  );
  stage.addEventListener(
    "touchend",
    (event) => {
      if (touchX === null || !state.fit || !event.changedTouches.length) return;
      const dx = event.changedTouches[0].clientX - touchX;
      const dy = event.changedTouches[0].clientY - touchY;
      touchX = null;
      if (Math.abs(dx) > 60 && Math.abs(dx) > Math.abs(dy) * 1.5) go(state.page + (dx < 0 ? 1 : -1));
    },
    { passive: true },
  );

  let resizeTimer = null;
  window.addEventListener("resize", () => {
    if (!state.fit) return;
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => go(state.page), 200);
  });

  // --- opening ----------------------------------------------------------------------------------------------

  say(strings.loading);
  Promise.all([import(data.pdfjs), F.packetSource()])
    .then(([lib, source]) => {
      state.lib = lib;
      lib.GlobalWorkerOptions.workerSrc = data.pdfWorker;
      root.dataset.source = source.stored ? "stored" : "network";
      const options = { isEvalSupported: false, withCredentials: true };
      if (source.data) options.data = source.data;
      else options.url = source.url;
      return lib.getDocument(options).promise;
    })
    .then((pdf) => {
      state.pdf = pdf;
      pageCount.textContent = String(pdf.numPages);
      pageInput.max = String(pdf.numPages);
      say("");
      return render(pageFromHash() || 1);
    })
    .catch(fail);
}

const readerRoot = document.querySelector("[data-reader]");
if (readerRoot && F) setUp(readerRoot);
