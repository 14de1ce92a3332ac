// The review page and the student's released review: the PDF report through PDF.js with comment pins at their
// page-relative places, and numbered code lines. Teachers click a place on a page or a line number to comment
// (through the API); every text is put in with textContent, never as HTML.
const data = JSON.parse(document.getElementById("inline-comments")?.textContent || "[]");
const csrf = (() => {
  try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; } catch { return ""; }
})();

function el(tag, attrs = {}, text = "") {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  if (text) node.textContent = text;
  return node;
}

async function post(url, body) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
    credentials: "same-origin",
    body: JSON.stringify(body),
  });
  const reply = await response.json().catch(() => ({}));
  if (!response.ok) {
    const words = Object.values(reply).flat().join(" ") || `The comment was not saved (${response.status}).`;
    throw new Error(words);
  }
  return reply;
}

function commentForm(onSave, onCancel) {
  const form = el("form", { class: "comment-form" });
  const text = el("textarea", { rows: "3", maxlength: "4000", "aria-label": "Comment", required: "" });
  const save = el("button", { type: "submit" }, "Save comment");
  const cancel = el("button", { type: "button", class: "secondary" }, "Cancel");
  const error = el("p", { class: "error", role: "alert" });
  form.append(text, el("br"), save, " ", cancel, error);
  cancel.addEventListener("click", onCancel);
  form.addEventListener("keydown", (event) => { if (event.key === "Escape") onCancel(); });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    event.stopPropagation();
    save.disabled = true;
    try { await onSave(text.value); } catch (err) { error.textContent = err.message; save.disabled = false; }
  });
  setTimeout(() => text.focus(), 0);
  return form;
}

// The report -------------------------------------------------------------------------------------------------
const viewer = document.querySelector(".pdf-viewer");
const reportList = document.querySelector("ol.report-comments");
let pinCount = 0;

function addPin(pageBox, comment) {
  pinCount += 1;
  const pin = el("button", { type: "button", class: "pin", "data-comment": String(comment.id),
    style: `left:${comment.x * 100}%;top:${comment.y * 100}%`, "aria-label": `Comment ${pinCount}: ${comment.text}` },
    String(pinCount));
  const note = el("div", { class: "pin-note", style: `left:${Math.min(comment.x * 100, 60)}%;top:calc(${comment.y * 100}% + 1rem)` },
    comment.text);
  pin.addEventListener("click", (event) => { event.stopPropagation(); note.classList.toggle("open"); });
  pageBox.append(pin, note);
}

async function showReport() {
  if (!viewer) return;
  const status = viewer.querySelector(".pdf-status");
  let pdfjs;
  try { pdfjs = await import(viewer.dataset.lib); } catch { return; } // the link to the PDF stays
  pdfjs.GlobalWorkerOptions.workerSrc = viewer.dataset.worker;
  const doc = await pdfjs.getDocument({
    url: viewer.dataset.pdf, withCredentials: true, isEvalSupported: false, enableScripting: false,
    standardFontDataUrl: viewer.dataset.fonts, cMapUrl: viewer.dataset.cmaps, cMapPacked: true, wasmUrl: viewer.dataset.wasm,
  }).promise;
  status?.remove();
  const api = viewer.dataset.api;
  const width = Math.min(Math.max(viewer.clientWidth - 16, 200), 760);
  for (let number = 1; number <= doc.numPages; number += 1) {
    const page = await doc.getPage(number);
    const unscaled = page.getViewport({ scale: 1 });
    const viewport = page.getViewport({ scale: (width / unscaled.width) * (window.devicePixelRatio || 1) });
    const box = el("div", { class: "pdf-page" + (api ? " commentable" : ""), "data-page": String(number),
      role: "img", "aria-label": `Page ${number} of the report` });
    box.style.maxWidth = `${width}px`;
    const canvas = el("canvas");
    canvas.width = Math.floor(viewport.width);
    canvas.height = Math.floor(viewport.height);
    box.append(canvas);
    viewer.append(box);
    await page.render({ canvas, canvasContext: canvas.getContext("2d"), viewport }).promise;
    for (const comment of data.filter((c) => c.page === number)) addPin(box, comment);
    if (api) box.addEventListener("click", (event) => placeComment(event, box, number, api));
  }
  viewer.dataset.rendered = String(doc.numPages);
}

function placeComment(event, box, page, api) {
  if (event.target.closest(".pin, .pin-note, .pin-form")) return;
  box.querySelector(".pin-form")?.remove();
  const rect = box.getBoundingClientRect();
  const x = Math.min(Math.max((event.clientX - rect.left) / rect.width, 0), 1);
  const y = Math.min(Math.max((event.clientY - rect.top) / rect.height, 0), 1);
  const holder = el("div", { class: "pin-form", style: `left:min(${x * 100}%, calc(100% - min(18rem, 90%)));top:${y * 100}%` });  // the form stays on the page (its width: review.css)
  holder.addEventListener("click", (e) => e.stopPropagation());
  holder.append(commentForm(async (text) => {
    const comment = await post(api, { text, page, x, y });
    holder.remove();
    addPin(box, comment);
    const item = el("li", { "data-comment": String(comment.id) });
    item.append(el("span", { class: "muted" }, `Page ${page}: `), el("span", { class: "comment-text" }, comment.text));
    reportList?.append(item);
  }, () => holder.remove()));
  box.append(holder);
}

// The code ---------------------------------------------------------------------------------------------------
const codeTable = document.querySelector("table.code-lines");
const codeApi = viewer?.dataset.api;
if (codeTable && codeApi) {
  codeTable.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-line]");
    if (!link) return;
    event.preventDefault();
    const row = link.closest("tr");
    const open = codeTable.querySelector("tr.line-form");
    if (open) open.remove();
    const line = Number(link.dataset.line);
    const formRow = el("tr", { class: "line-form" });
    const cell = el("td", { colspan: "2" });
    formRow.append(cell);
    cell.append(el("label", {}, `Comment on line ${line}`), commentForm(async (text) => {
      const comment = await post(codeApi, { text, file: codeTable.dataset.file, line });
      const shown = el("tr", { class: "inline-comment", "data-comment": String(comment.id) });
      const box = el("div", { class: "comment-box" });
      box.append(el("p", {}, comment.text), el("span", { class: "muted" }, comment.author));
      shown.append(el("td"), el("td"));
      shown.lastChild.append(box);
      formRow.replaceWith(shown);
      row.classList.add("commented");
    }, () => formRow.remove()));
    let after = row;
    while (after.nextElementSibling?.classList.contains("inline-comment")) after = after.nextElementSibling;
    after.after(formRow);
  });
}

showReport().catch((err) => {
  const status = viewer?.querySelector(".pdf-status");
  if (status) status.prepend(`The report could not be shown here (${err.message}). `);
});
