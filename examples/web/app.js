// The page: a writing pad, an image chooser and a model selector around recognizer.js.
// A drawing is cropped to its ink (recognizer.js: cropInk) and read a moment after each
// stroke ends; an image file is read as it is, as the Python package reads a file.
// window.htr holds hooks for tests and for the console (see README.md).

import {
  CROP_LINES,
  CROP_WORDS,
  ReaderError,
  WebRecognizer,
  cropInk,
  decodeBlob,
  grayFromRgba,
  probeModel,
} from "./recognizer.js";

/** The models the page offers, as folders relative to the repository root. `?model=DIR`
 * in the page's URL adds one (and selects it). */
const MODELS = [
  { dir: "Models/dhsd_words", label: "Words (DHSD)", crop: CROP_WORDS },
  { dir: "Models/handwritten_lines", label: "Lines", crop: CROP_LINES },
];
const REPO_ROOT = new URL("../../", import.meta.url); // the page lives in examples/web/
const SETTLE_MS = 350; // after a stroke ends, wait this long for the next one before reading
const INK = "#1d2b5c"; // dark blue ink on white: gray level 44, as dark as the data's ink

const $ = (id) => document.getElementById(id);
const pad = $("pad");
const context = pad.getContext("2d", { willReadFrequently: true });
const ui = {
  model: $("model"),
  pen: $("pen"),
  clear: $("clear"),
  file: $("file"),
  frame: $("pad-frame"),
  hint: $("hint"),
  text: $("text"),
  confidence: $("confidence"),
  status: $("status"),
  inputFrame: $("input-frame"),
  inputView: $("input-view"),
  inputSize: $("input-size"),
};

const state = {
  models: [], // { dir, label, crop, available, reason }
  loaded: new Map(), // dir -> Promise<WebRecognizer>
  current: null, // the selected model entry
  source: "drawing", // what the pad shows: "drawing" or "file"
  fileGray: null, // the chosen image, when source is "file"
  timer: 0,
  generation: 0, // counts changes, so that a late result of an old drawing is dropped
  chain: Promise.resolve(), // recognitions run one after another
  last: null, // the latest result (for window.htr)
  waiters: [], // resolve functions waiting for the next result
};

// ---------------------------------------------------------------- showing things

function setStatus(message, isError = false) {
  ui.status.textContent = message;
  ui.status.classList.toggle("error", isError);
}

function clearPad() {
  context.save();
  context.globalCompositeOperation = "source-over";
  context.fillStyle = "#fff"; // paper is opaque white: the model reads 255 as paper
  context.fillRect(0, 0, pad.width, pad.height);
  context.restore();
  ui.hint.hidden = false;
}

function showResult(result) {
  ui.text.textContent = result.text;
  ui.text.dataset.state = result.state;
  ui.confidence.textContent =
    result.state === "read" ? `confidence ${result.confidence.toFixed(4)} · ${result.model}` : result.note || "";
  const input = result.input;
  ui.inputFrame.hidden = !input;
  if (input) {
    ui.inputView.width = input.width;
    ui.inputView.height = input.height;
    const rgba = new ImageData(input.width, input.height);
    for (let i = 0; i < input.data.length; i++) {
      rgba.data.fill(input.data[i], 4 * i, 4 * i + 3);
      rgba.data[4 * i + 3] = 255;
    }
    ui.inputView.getContext("2d").putImageData(rgba, 0, 0);
    ui.inputSize.textContent = `${input.width} × ${input.height} pixels, padded on the right`;
  }
}

/** The record a result is kept as: what was shown, and the gray image that was read (the
 * crop of a drawing, or the file), base64 of its rows, so that a test can read the same
 * pixels with the Python package. */
function record(fields, gray) {
  const result = { ...fields, model: state.current?.dir ?? null, source: state.source };
  if (gray) {
    let binary = "";
    for (let i = 0; i < gray.data.length; i += 0x8000) {
      binary += String.fromCharCode(...gray.data.subarray(i, i + 0x8000));
    }
    result.read = { width: gray.width, height: gray.height, pixels: btoa(binary) };
  }
  return result;
}

function finish(result) {
  state.last = result;
  showResult(result);
  document.body.dataset.status = result.state === "error" ? "error" : "ready";
  for (const resolve of state.waiters.splice(0)) resolve(serializable(result));
}

/** A result without the image objects (what the hooks return). */
function serializable(result) {
  if (!result) return null; // a reading overtaken by a newer change of the pad
  const { input, ...rest } = result;
  return { ...rest, input: input ? { width: input.width, height: input.height } : null };
}

// ---------------------------------------------------------------- models

async function recognizerFor(entry) {
  if (!state.loaded.has(entry.dir)) {
    const folder = new URL(entry.dir.replace(/\/?$/, "/"), REPO_ROOT);
    const loading = WebRecognizer.load(folder);
    state.loaded.set(entry.dir, loading);
    loading.catch(() => state.loaded.delete(entry.dir)); // try again on the next selection
  }
  return state.loaded.get(entry.dir);
}

/** Ask for every model's sidecar and fill the selector: missing models stay listed,
 * disabled, with the reason. */
async function listModels() {
  const wanted = new URLSearchParams(location.search).get("model");
  const entries = MODELS.map((m) => ({ ...m }));
  if (wanted && !entries.some((m) => m.dir === wanted)) {
    entries.unshift({ dir: wanted, label: wanted.split("/").pop(), crop: CROP_WORDS });
  }
  await Promise.all(
    entries.map(async (entry) => {
      try {
        await probeModel(new URL(entry.dir.replace(/\/?$/, "/"), REPO_ROOT));
        entry.available = true;
      } catch (error) {
        entry.available = false;
        entry.reason = error.message;
      }
    }),
  );
  ui.model.replaceChildren(
    ...entries.map((entry) => {
      const option = new Option(`${entry.label} — ${entry.dir}${entry.available ? "" : " (missing)"}`, entry.dir);
      option.disabled = !entry.available;
      option.title = entry.reason || entry.dir;
      return option;
    }),
  );
  state.models = entries;
  const first = entries.find((m) => m.available && (!wanted || m.dir === wanted)) || entries.find((m) => m.available);
  return first || null;
}

async function selectModel(dir) {
  const entry = state.models.find((m) => m.dir === dir);
  if (!entry) throw new ReaderError(`${dir}: not one of this page's models`);
  if (!entry.available) throw new ReaderError(entry.reason);
  state.current = entry;
  ui.model.value = dir;
  document.body.dataset.status = "loading";
  setStatus(`loading ${dir}/model.onnx…`);
  const recognizer = await recognizerFor(entry);
  setStatus(modelSummary(entry, recognizer));
  document.body.dataset.status = "ready";
  return recognizer;
}

function modelSummary(entry, recognizer) {
  const { meta } = recognizer;
  const missing = state.models.filter((m) => !m.available).map((m) => m.reason);
  return (
    `${entry.dir}: ${meta.chars.length} characters, input ${meta.height} rows high.` +
    (missing.length ? ` Not available: ${missing.join("; ")}.` : "")
  );
}

// ---------------------------------------------------------------- reading

/** Queue a reading of what the pad shows now. Resolves with its result. */
function readNow() {
  clearTimeout(state.timer);
  const generation = ++state.generation;
  const job = state.chain.then(() => readPad(generation));
  state.chain = job.catch(() => {});
  return job;
}

async function readPad(generation) {
  if (generation !== state.generation) return null; // a newer change is queued after this one
  if (!state.current) return null;
  document.body.dataset.status = "reading";
  try {
    const recognizer = await recognizerFor(state.current);
    let gray;
    if (state.source === "file") {
      gray = state.fileGray;
    } else {
      const pixels = context.getImageData(0, 0, pad.width, pad.height);
      gray = cropInk(grayFromRgba(pixels), Number(ui.pen.value), state.current.crop);
    }
    if (!gray) {
      finish(record({ state: "empty", text: "", confidence: null, note: "nothing written yet" }, null));
      return state.last;
    }
    const { text, confidence, input } = await recognizer.read(gray);
    if (generation !== state.generation) return null; // the pad changed while the model ran
    finish(record({ state: "read", text, confidence, input }, gray));
  } catch (error) {
    finish(record({ state: "error", text: "", confidence: null, note: error.message }, null));
    setStatus(error.message, true);
  }
  return state.last;
}

/** Read a moment after the last stroke, unless another one starts first. */
function readSoon() {
  clearTimeout(state.timer);
  state.generation++; // a reading already queued is now out of date
  state.timer = setTimeout(readNow, SETTLE_MS);
}

function nextResult() {
  return new Promise((resolve) => state.waiters.push(resolve));
}

// ---------------------------------------------------------------- drawing

let stroke = null; // { id, x, y } while a pointer is down

function padPoint(event) {
  // the canvas is scaled by CSS: pointer positions are in CSS pixels
  const box = pad.getBoundingClientRect();
  return [((event.clientX - box.left) * pad.width) / box.width, ((event.clientY - box.top) * pad.height) / box.height];
}

function startDrawing() {
  if (state.source === "file") {
    // drawing after an image starts a new drawing
    state.source = "drawing";
    state.fileGray = null;
    clearPad();
  }
  ui.hint.hidden = true;
  clearTimeout(state.timer); // no reading while writing
  state.generation++;
  context.strokeStyle = INK;
  context.fillStyle = INK;
  context.lineWidth = Number(ui.pen.value);
  context.lineCap = "round";
  context.lineJoin = "round";
}

pad.addEventListener("pointerdown", (event) => {
  if (event.button !== 0 || stroke) return;
  event.preventDefault();
  pad.setPointerCapture(event.pointerId);
  startDrawing();
  const [x, y] = padPoint(event);
  stroke = { id: event.pointerId, x, y };
  context.beginPath(); // a dot for a tap (the dot on an i)
  context.arc(x, y, context.lineWidth / 2, 0, 2 * Math.PI);
  context.fill();
});

pad.addEventListener("pointermove", (event) => {
  if (!stroke || event.pointerId !== stroke.id) return;
  // coalesced events: every point the pen passed since the last frame, for smooth curves
  const points = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
  context.beginPath();
  context.moveTo(stroke.x, stroke.y);
  for (const point of points.length ? points : [event]) {
    [stroke.x, stroke.y] = padPoint(point);
    context.lineTo(stroke.x, stroke.y);
  }
  context.stroke();
});

function endStroke(event) {
  if (!stroke || event.pointerId !== stroke.id) return;
  stroke = null;
  readSoon();
}
pad.addEventListener("pointerup", endStroke);
pad.addEventListener("pointercancel", endStroke);

ui.clear.addEventListener("click", () => {
  state.source = "drawing";
  state.fileGray = null;
  clearPad();
  readNow();
});

ui.pen.addEventListener("change", () => {
  if (state.source === "drawing") readSoon(); // the crop's minimum height follows the pen
});

// ---------------------------------------------------------------- images

/** Show `gray` on the pad, scaled to fit, for the person; it is read at its own size. */
function showImageOnPad(gray) {
  clearPad();
  ui.hint.hidden = true;
  const scale = Math.min(pad.width / gray.width, pad.height / gray.height, 4);
  const picture = new OffscreenCanvas(gray.width, gray.height);
  const rgba = new ImageData(gray.width, gray.height);
  for (let i = 0; i < gray.data.length; i++) {
    rgba.data.fill(gray.data[i], 4 * i, 4 * i + 3);
    rgba.data[4 * i + 3] = 255;
  }
  picture.getContext("2d").putImageData(rgba, 0, 0);
  const w = gray.width * scale;
  const h = gray.height * scale;
  context.drawImage(picture, (pad.width - w) / 2, (pad.height - h) / 2, w, h);
}

async function readImageBlob(blob) {
  const gray = grayFromRgba(await decodeBlob(blob));
  state.source = "file";
  state.fileGray = gray;
  showImageOnPad(gray);
  return readNow();
}

function readChosenFile(file) {
  if (!file) return;
  readImageBlob(file).catch((error) => setStatus(`${file.name}: ${error.message}`, true));
}

ui.file.addEventListener("change", () => readChosenFile(ui.file.files[0]));
ui.frame.addEventListener("dragover", (event) => {
  event.preventDefault();
  ui.frame.classList.add("dropping");
});
ui.frame.addEventListener("dragleave", () => ui.frame.classList.remove("dropping"));
ui.frame.addEventListener("drop", (event) => {
  event.preventDefault();
  ui.frame.classList.remove("dropping");
  readChosenFile(event.dataTransfer.files[0]);
});

ui.model.addEventListener("change", async () => {
  try {
    await selectModel(ui.model.value);
    await readNow(); // the same writing, read by the other model
  } catch (error) {
    setStatus(error.message, true);
  }
});

// ---------------------------------------------------------------- start

async function start() {
  clearPad();
  const first = await listModels();
  if (!first) {
    const reasons = state.models.map((m) => m.reason).join("; ");
    throw new ReaderError(`no model could be loaded (${reasons})`);
  }
  await selectModel(first.dir);
}

const ready = start().catch((error) => {
  document.body.dataset.status = "error";
  setStatus(error.message, true);
  throw error;
});

// Keep the page's files for offline use (sw.js): a reload works without the server once
// the page has been loaded. Service workers need http://localhost or https.
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("sw.js").catch((error) => console.warn("no offline copy:", error.message));
}

/** Hooks for tests and the console; every one resolves with a plain result object
 * { state, text, confidence, model, source, read: { width, height, pixels }, input }. */
window.htr = {
  ready: ready.then(() => true),
  models: () => state.models.map(({ dir, label, available, reason }) => ({ dir, label, available, reason })),
  selectModel: async (dir) => {
    await selectModel(dir);
    return serializable(await readNow());
  },
  /** Read an image file by URL as it is (no crop), as OnnxRecognizer.predict reads it. */
  recognizeImageUrl: async (url) => {
    const response = await fetch(url);
    if (!response.ok) throw new ReaderError(`${url}: HTTP ${response.status}`);
    return serializable(await readImageBlob(await response.blob()));
  },
  /** Draw an image of dark writing on light paper into the pad as ink, `height` pad pixels
   * high at (x, y), then read it as a drawing (after the same pause as a stroke). */
  drawImageUrl: async (url, { x = 40, y = 40, height = 140 } = {}) => {
    const response = await fetch(url);
    if (!response.ok) throw new ReaderError(`${url}: HTTP ${response.status}`);
    const bitmap = await createImageBitmap(await response.blob());
    await state.chain; // a reading queued before (a Clear) must not answer for this drawing
    if (state.source === "file") clearPad();
    state.source = "drawing";
    ui.hint.hidden = true;
    const width = (bitmap.width * height) / bitmap.height;
    context.save();
    context.globalCompositeOperation = "multiply"; // white paper leaves the pad as it is
    context.drawImage(bitmap, x, y, width, height);
    context.restore();
    const result = nextResult();
    readSoon();
    return result;
  },
  /** Wait for the next reading (after strokes made by a test's pointer events). */
  nextResult,
  /** Wait until every queued reading is done; resolves with the latest result. */
  idle: async () => {
    await state.chain;
    return state.last ? serializable(state.last) : null;
  },
  last: () => (state.last ? serializable(state.last) : null),
};
