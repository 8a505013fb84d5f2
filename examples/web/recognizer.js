// The browser side of docs/onnx_model.md: loads an exported model with onnxruntime-web and
// reads gray images with it. The image steps (gray, resize) and the decoding (batch, greedy
// CTC, confidence) are the Node reader's own files, loaded as they are, so that the page, the
// Node reader and the Python package read the same text from the same pixels.

import { GrayImage, grayPixel, resizeToHeight } from "../node/shared/pixels.js";
import {
  ReaderError,
  checkAgainstGraph,
  checkMetadata,
  confidence,
  greedyText,
  makeBatch,
  rowsOf,
} from "../node/shared/reader.js";

export { GrayImage, ReaderError };

let ortModule = null;

/** onnxruntime-web from vendor/ (filled by scripts/install.sh), loaded once. Loaded lazily so
 * that the page can say what is missing instead of failing to start. */
export async function loadRuntime() {
  if (ortModule) return ortModule;
  let ort;
  try {
    ort = await import("./vendor/ort.wasm.bundle.min.mjs");
  } catch (error) {
    throw new ReaderError(
      `onnxruntime-web is missing from examples/web/vendor/ (${error.message}); ` +
        "run scripts/install.sh (or npm install && npm run vendor in examples/web)",
    );
  }
  // several threads need a cross-origin isolated page (SharedArrayBuffer), which a plain
  // http.server does not give; one thread avoids the runtime's warning and its worker
  ort.env.wasm.numThreads = 1;
  ortModule = ort;
  return ort;
}

/** Whether a model folder (URL ending in "/") has its files: resolves to the parsed sidecar,
 * or throws a ReaderError that says what is missing. */
export async function probeModel(folderUrl) {
  const jsonUrl = new URL("model.json", folderUrl);
  let response;
  try {
    response = await fetch(jsonUrl, { cache: "no-cache" });
  } catch (error) {
    throw new ReaderError(`${jsonUrl.pathname}: cannot be fetched (${error.message})`);
  }
  if (!response.ok) throw new ReaderError(`${jsonUrl.pathname}: not found (HTTP ${response.status})`);
  let meta;
  try {
    meta = await response.json();
  } catch (error) {
    throw new ReaderError(`${jsonUrl.pathname}: not valid JSON (${error.message})`);
  }
  return { raw: meta, meta: checkMetadata(meta, jsonUrl.pathname) };
}

/** A loaded model: its checked metadata and an ONNX Runtime session. */
export class WebRecognizer {
  constructor(session, meta, raw, folderUrl, ort) {
    this.session = session;
    this.meta = meta; // { chars, blank, height, channels, timeScale, padValue }
    this.raw = raw; // the sidecar as written, for showing its notes
    this.folderUrl = folderUrl;
    this.ort = ort;
  }

  /** Load `model.json` and `model.onnx` from a folder URL (ending in "/"). */
  static async load(folderUrl) {
    const ort = await loadRuntime();
    const { meta, raw } = await probeModel(folderUrl);
    const onnxUrl = new URL("model.onnx", folderUrl);
    const response = await fetch(onnxUrl);
    if (!response.ok) throw new ReaderError(`${onnxUrl.pathname}: not found (HTTP ${response.status})`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    let session;
    try {
      session = await ort.InferenceSession.create(bytes, { executionProviders: ["wasm"] });
    } catch (error) {
      throw new ReaderError(`${onnxUrl.pathname}: not a loadable ONNX model (${error.message})`);
    }
    // the same refusals as the package: metadata that does not fit the graph reads wrong text
    const shapes = (list) => list?.[0]?.shape;
    const input = shapes(session.inputMetadata);
    const output = shapes(session.outputMetadata);
    if (input && output) checkAgainstGraph(meta, input, output, onnxUrl.pathname);
    return new WebRecognizer(session, meta, raw, folderUrl, ort);
  }

  /** Read one gray image (any size): { text, confidence, input } where input is the image
   * at the model's height, as the model saw it before the padding. One image is one batch,
   * as OnnxRecognizer.predict([image]) runs it. */
  async read(gray) {
    const resized = resizeToHeight(gray, this.meta.height);
    const { data, dims } = makeBatch([resized], this.meta);
    const feeds = { [this.session.inputNames[0]]: new this.ort.Tensor("float32", data, dims) };
    const output = (await this.session.run(feeds))[this.session.outputNames[0]];
    const rows = rowsOf(output, 0);
    const text = greedyText(rows, this.meta);
    return { text, confidence: confidence(rows, text, this.meta), input: resized };
  }
}

// ---------------------------------------------------------------- images in the page

/** RGBA pixels (an ImageData or { width, height, data }) to a GrayImage, with the package's
 * gray formula and its compositing of transparency on white paper. */
export function grayFromRgba({ width, height, data }) {
  const out = new GrayImage(width, height);
  for (let i = 0, j = 0; i < out.data.length; i++, j += 4) {
    out.data[i] = grayPixel(data[j], data[j + 1], data[j + 2], data[j + 3]);
  }
  return out;
}

/** Decode an image file (a Blob) with the browser's decoder to RGBA at its own size, with
 * no colour management and unpremultiplied alpha, the nearest the browser has to OpenCV's
 * plain decoding; a JPEG comes out turned by its EXIF orientation, as the package turns it.
 * Opaque 8-bit PNGs come out exactly as OpenCV reads them; a 16-bit PNG as its high bytes, which
 * is the package's to_uint8 only when its largest sample uses all 16 bits (12-bit data comes out
 * nearly black), and JPEG decoders differ by a level or two (see docs/onnx_model.md). */
export async function decodeBlob(blob) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(blob, { colorSpaceConversion: "none", premultiplyAlpha: "none" });
  } catch (error) {
    throw new ReaderError(`not an image the browser can decode (${error.message})`);
  }
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const context = canvas.getContext("2d", { willReadFrequently: true });
  context.drawImage(bitmap, 0, 0);
  bitmap.close();
  return context.getImageData(0, 0, canvas.width, canvas.height);
}

// ---------------------------------------------------------------- cropping a drawing

// What the training images look like, at the model's height (64 rows), measured on the data:
// - DHSD's real words: the ink is about 28 of 64 rows high (15-45), with white above and
//   below; pen strokes are 2-3 pixels wide; a few pixels of white at the ends;
// - the package's rendered words (mltu_ext/synth/render.py): the font's ascender-to-descender
//   band nearly fills the height (x-height 24-36 % of it), pens are 3-7.5 % of the height,
//   and _margins adds 3-12 % of the height of white at each end;
// - rendered and real lines (synth/line_render.py, Copiste): cut close to the ink, 0-10 %
//   of the height above and below.
// A drawing is cropped to its ink and given white around it so that it looks like those.
// The shares below read best when DHSD words, rendered words and lines, and Copiste lines
// were scaled up as if written on the pad, whitened and cropped this way (README.md):
// words in more white than the ink's own box, lines almost as tight as they come.

/** How a drawing is cropped for a model: `inkShare`, the largest share of the crop's height
 * the ink may fill; `penShare`, the largest share of it the pen may be (a short word such as
 * "we" has ink only one x-height high: the pen keeps it from being blown up to the whole
 * height); `endMargin`, the white at each end, as a share of the crop's height. */
export const CROP_WORDS = { inkShare: 0.5, penShare: 0.05, endMargin: 0.08 };
export const CROP_LINES = { inkShare: 0.85, penShare: 0.045, endMargin: 0.1 };

/** The gray level below which a pixel is ink (the drawing is dark ink on pure white). */
const INK_LEVEL = 200;

/** The drawing's ink box with white added around it (see above), or null when there is no
 * ink. `penWidth` is the drawing pen's width in the drawing's pixels. */
export function cropInk(gray, penWidth, { inkShare, penShare, endMargin } = CROP_WORDS) {
  const { width, height, data } = gray;
  let top = height;
  let bottom = -1;
  let left = width;
  let right = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (data[y * width + x] >= INK_LEVEL) continue;
      if (y < top) top = y;
      if (y > bottom) bottom = y;
      if (x < left) left = x;
      if (x > right) right = x;
    }
  }
  if (bottom < 0) return null;
  // the box takes in the pen's soft edge, which is lighter than INK_LEVEL
  const edge = Math.ceil(penWidth / 4);
  top = Math.max(0, top - edge);
  left = Math.max(0, left - edge);
  bottom = Math.min(height - 1, bottom + edge);
  right = Math.min(width - 1, right + edge);
  const inkHeight = bottom - top + 1;
  const inkWidth = right - left + 1;
  const outHeight = Math.ceil(Math.max(inkHeight / inkShare, penWidth / penShare));
  const margin = Math.round(endMargin * outHeight);
  const out = new GrayImage(inkWidth + 2 * margin, outHeight);
  out.data.fill(255);
  // the ink in the middle: the data has writing anywhere between high and low in its box
  const dy = Math.floor((outHeight - inkHeight) / 2);
  for (let y = 0; y < inkHeight; y++) {
    const from = (top + y) * width + left;
    out.data.set(data.subarray(from, from + inkWidth), (dy + y) * out.width + margin);
  }
  return out;
}
