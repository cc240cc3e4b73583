/* PartyHub — the PDF viewer of the document page (pdf.js, legacy build, vendored from npm).

   Markup: templates/documents/detail.html ([data-pdf-viewer]). The page works without this script: the
   download link under the viewer is always there. Loaded as a module (browsers too old for modules never run
   it and keep the link); pdf.js itself is imported dynamically from the URL in data-pdfjs, so a missing or
   broken library only shows the "cannot be shown" message. One page is drawn at a time (tablets have little
   memory), sharp on high-density screens, fitted to the width unless the reader zooms. */

const ZOOM_STEPS = [0.5, 0.67, 0.8, 1, 1.25, 1.5, 2, 2.5, 3, 4];
const MAX_PIXEL_RATIO = 2;

function setUp(root) {
  const toolbar = root.querySelector(".pdf-toolbar");
  const stage = root.querySelector("[data-pdf-stage]");
  const canvas = root.querySelector("[data-pdf-canvas]");
  const status = root.querySelector("[data-pdf-status]");
  const pageInput = root.querySelector("[data-pdf-page-input]");
  const pageCount = root.querySelector("[data-pdf-page-count]");
  const zoomLevel = root.querySelector("[data-pdf-zoom-level]");
  const prev = root.querySelector("[data-pdf-prev]");
  const next = root.querySelector("[data-pdf-next]");
  const zoomIn = root.querySelector("[data-pdf-zoom-in]");
  const zoomOut = root.querySelector("[data-pdf-zoom-out]");
  const fit = root.querySelector("[data-pdf-fit]");

  const state = { pdf: null, page: 1, scale: 1, fitWidth: true, task: null, pending: null };

  function say(text) {
    status.textContent = text || "";
    status.hidden = !text;
  }

  function fail(error) {
    if (window.console) console.warn("PDF viewer:", error);
    toolbar.hidden = true;
    stage.hidden = true;
    root.classList.add("pdf-failed");
    say(root.dataset.textError);
  }

  function fitScale(page) {
    const width = page.getViewport({ scale: 1 }).width;
    const available = Math.max(200, stage.clientWidth - 2);
    return available / width;
  }

  async function render(number) {
    if (!state.pdf) return;
    if (state.task) {
      state.pending = number;
      return;
    }
    state.page = Math.min(Math.max(1, number), state.pdf.numPages);
    const page = await state.pdf.getPage(state.page);
    if (state.fitWidth) state.scale = fitScale(page);
    const viewport = page.getViewport({ scale: state.scale });
    const ratio = Math.min(window.devicePixelRatio || 1, MAX_PIXEL_RATIO);
    canvas.width = Math.floor(viewport.width * ratio);
    canvas.height = Math.floor(viewport.height * ratio);
    canvas.style.width = Math.floor(viewport.width) + "px";
    canvas.style.height = Math.floor(viewport.height) + "px";
    const context = canvas.getContext("2d");
    state.task = page.render({
      canvasContext: context,
      viewport: viewport,
      transform: ratio !== 1 ? [ratio, 0, 0, ratio, 0, 0] : null,
    });
    try {
      await state.task.promise;
    } catch (error) {
      if (!error || error.name !== "RenderingCancelledException") throw error;
    } finally {
      state.task = null;
    }
    pageInput.value = String(state.page);
    prev.disabled = state.page <= 1;
    next.disabled = state.page >= state.pdf.numPages;
    zoomLevel.textContent = Math.round(state.scale * 100) + "%";
    fit.setAttribute("aria-pressed", String(state.fitWidth));
    canvas.setAttribute("aria-label", pageInput.getAttribute("aria-label") + " " + state.page);
    if (state.pending !== null) {
      const again = state.pending;
      state.pending = null;
      render(again);
    }
  }

  function zoom(direction) {
    const current = state.scale;
    let target;
    if (direction > 0) target = ZOOM_STEPS.find((s) => s > current + 0.01) || ZOOM_STEPS[ZOOM_STEPS.length - 1];
    else target = ZOOM_STEPS.slice().reverse().find((s) => s < current - 0.01) || ZOOM_STEPS[0];
    state.fitWidth = false;
    state.scale = target;
    render(state.page).catch(fail);
  }

  prev.addEventListener("click", () => render(state.page - 1).catch(fail));
  next.addEventListener("click", () => render(state.page + 1).catch(fail));
  zoomIn.addEventListener("click", () => zoom(1));
  zoomOut.addEventListener("click", () => zoom(-1));
  fit.addEventListener("click", () => {
    state.fitWidth = true;
    render(state.page).catch(fail);
  });
  pageInput.addEventListener("change", () => {
    const wanted = parseInt(pageInput.value, 10);
    if (!Number.isNaN(wanted)) render(wanted).catch(fail);
  });
  stage.addEventListener("keydown", (event) => {
    if (event.key === "ArrowRight" || event.key === "PageDown") {
      event.preventDefault();
      render(state.page + 1).catch(fail);
    } else if (event.key === "ArrowLeft" || event.key === "PageUp") {
      event.preventDefault();
      render(state.page - 1).catch(fail);
    }
  });

  // Swipe left/right to turn pages on a tablet, only when the page fits the width (otherwise the finger pans).
  let touchX = null;
  stage.addEventListener("touchstart", (event) => {
    touchX = event.touches.length === 1 ? event.touches[0].clientX : null;
  }, { passive: true });
  stage.addEventListener("touchend", (event) => {
    if (touchX === null || !state.fitWidth || !event.changedTouches.length) return;
    const dx = event.changedTouches[0].clientX - touchX;
    touchX = null;
    if (Math.abs(dx) > 60) render(state.page + (dx < 0 ? 1 : -1)).catch(fail);
  }, { passive: true });

  let resizeTimer = null;
  window.addEventListener("resize", () => {
    if (!state.fitWidth) return;
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => render(state.page).catch(fail), 200);
  });

  say(root.dataset.textLoading);
  import(root.dataset.pdfjs)
    .then((pdfjs) => {
      pdfjs.GlobalWorkerOptions.workerSrc = root.dataset.worker;
      return pdfjs.getDocument({ url: root.dataset.src, isEvalSupported: false, withCredentials: true }).promise;
    })
    .then((pdf) => {
      state.pdf = pdf;
      pageCount.textContent = String(pdf.numPages);
      pageInput.max = String(pdf.numPages);
      toolbar.hidden = false;
      root.classList.add("pdf-ready");
      say("");
      return render(1);
    })
    .then(() => {
      root.dataset.pdfRendered = "true";
    })
    .catch(fail);
}

document.querySelectorAll("[data-pdf-viewer]").forEach(setUp);
