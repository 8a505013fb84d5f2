// The model side of docs/onnx_model.md, without any runtime or file access: checking the
// metadata, building the input batch, greedy CTC decoding and the package's confidence.
// Plain ES module without imports: the Node reader (../recognize.js) and the web page
// (examples/web/app.js) both load this one file, so both decode exactly alike.

export const FORMAT_VERSION = 1; // the newest version of docs/onnx_model.md this reader follows
export const MAX_INPUT_WIDTH = 16384; // columns at the model's height, as the package's default
export const BATCH_SIZE = 32; // the package's default: the padding of a batch changes its outputs a little
const TINY = 1e-30; // keeps log() finite for probabilities that underflowed to zero

/** A model or image this reader refuses; the message names the file or the image. */
export class ReaderError extends Error {}

// ---------------------------------------------------------------- the metadata

/** The metadata object (parsed JSON from `file`, the sidecar) checked for the fields a reader
 * needs: { chars, temperature, blank, height, channels, timeScale, padValue }. */
export function checkMetadata(meta, file) {
  if (meta === null || typeof meta !== "object" || Array.isArray(meta)) {
    throw new ReaderError(`${file}: not a JSON object`);
  }
  if (meta.kind === "line_segmenter") {
    // a segmenter's sidecar has no vocabulary: say what the file is rather than what it lacks
    throw new ReaderError(`${file}: a line segmenter (it finds the lines of a page), not a recogniser`);
  }
  const version = meta.format_version === undefined ? 1 : meta.format_version;
  if (!Number.isInteger(version) || version < 1) {
    throw new ReaderError(`${file}: format_version ${JSON.stringify(version)} must be a whole number >= 1`);
  }
  if (version > FORMAT_VERSION) {
    throw new ReaderError(
      `${file}: format version ${version} is newer than this reader's (${FORMAT_VERSION})`,
    );
  }
  const whole = (name, fallback, low, high) => {
    const value = meta[name] === undefined ? fallback : meta[name];
    if (!Number.isInteger(value) || value < low || value > high) {
      throw new ReaderError(`${file}: field ${name} must be a whole number ${low}..${high}, got ${value}`);
    }
    return value;
  };
  if (typeof meta.vocabulary !== "string" || !meta.vocabulary) {
    throw new ReaderError(`${file}: field vocabulary must be non-empty text`);
  }
  const chars = Array.from(meta.vocabulary); // code points, as Python indexes a str
  if (new Set(chars).size !== chars.length) {
    throw new ReaderError(`${file}: field vocabulary has a character twice`);
  }
  const temperature = meta.confidence_temperature === undefined ? 1 : meta.confidence_temperature;
  if (typeof temperature !== "number" || !(temperature > 0)) {
    throw new ReaderError(`${file}: field confidence_temperature must be a number above 0, got ${temperature}`);
  }
  return {
    chars,
    temperature,
    blank: whole("blank_index", undefined, 0, chars.length),
    height: whole("input_height", undefined, 1, 1 << 16),
    channels: whole("channels", undefined, 1, 3),
    timeScale: whole("time_scale", 1, 1, 1 << 16),
    padValue: whole("padding_value", 255, 0, 255),
  };
}

/** Refuse metadata that contradicts the graph: it would read wrong text. */
export function checkAgainstGraph(meta, input, output, onnxPath) {
  // input: [batch, height, width, channels], output: [batch, steps, classes]; a dimension
  // that is not a number is dynamic
  const fixed = (d) => (typeof d === "number" ? d : null);
  if (input.length !== 4 || output.length !== 3) {
    throw new ReaderError(
      `${onnxPath}: graph takes ${JSON.stringify(input)} and gives ${JSON.stringify(output)}; ` +
        "not a line recogniser",
    );
  }
  if (fixed(output[2]) !== null && output[2] !== meta.chars.length + 1) {
    throw new ReaderError(
      `${onnxPath}: the metadata has ${meta.chars.length} characters ` +
        `but the graph gives ${output[2]} classes`,
    );
  }
  if (fixed(input[1]) !== null && input[1] !== meta.height) {
    throw new ReaderError(`${onnxPath}: input_height ${meta.height} but the graph takes ${input[1]}`);
  }
  if (![1, 3].includes(meta.channels) || (fixed(input[3]) !== null && input[3] !== meta.channels)) {
    throw new ReaderError(`${onnxPath}: channels ${meta.channels} but the graph takes ${input[3]}`);
  }
}

// ---------------------------------------------------------------- batches

/** Float32 (B, H, W, C) of prepared images: padded on the right to the widest, the width a
 * multiple of time_scale and at least 4 * time_scale. `images` are GrayImages at the model's height. */
export function makeBatch(images, meta) {
  let width = Math.max(...images.map((im) => im.width));
  if (width > MAX_INPUT_WIDTH) {
    throw new ReaderError(
      `an image is ${width} columns wide at height ${meta.height}, ` +
        `more than ${MAX_INPUT_WIDTH}; cut it into lines`,
    );
  }
  width = Math.max(width, 4 * meta.timeScale);
  width = Math.ceil(width / meta.timeScale) * meta.timeScale;
  const { height, channels } = meta;
  const data = new Float32Array(images.length * height * width * channels).fill(meta.padValue);
  images.forEach((image, b) => {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < image.width; x++) {
        const value = image.data[y * image.width + x];
        const at = ((b * height + y) * width + x) * channels;
        for (let c = 0; c < channels; c++) data[at + c] = value;
      }
    }
  });
  return { data, dims: [images.length, height, width, channels] }; // the caller makes the tensor
}

/** The order in which the package batches images: by width / height of the image as read
 * (`sourceWidth`, `sourceHeight`), a stable sort. The padding of a batch is part of what
 * the model sees, so a reader that batches otherwise can get other confidences. */
export function batchOrder(images) {
  const order = images.map((_, i) => i);
  const aspect = images.map((im) => im.sourceWidth / Math.max(im.sourceHeight, 1));
  return order.sort((a, b) => aspect[a] - aspect[b]);
}

/** Probability rows of image b of an output tensor: steps x classes. */
export function rowsOf(output, b) {
  // output: a tensor-like { data, dims } of (batch, steps, classes)
  const [, steps, classes] = output.dims;
  const start = b * steps * classes;
  return { steps, classes, probs: output.data.subarray(start, start + steps * classes) };
}

// ---------------------------------------------------------------- decoding

/** Best-path text: argmax per step (the first on a tie), repeats merged, blanks dropped. */
export function greedyText({ steps, classes, probs }, meta) {
  let text = "";
  let previous = -1;
  for (let t = 0; t < steps; t++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (probs[t * classes + c] > probs[t * classes + best]) best = c;
    if (best !== previous && best !== meta.blank) text += meta.chars[best < meta.blank ? best : best - 1];
    previous = best;
  }
  return text;
}

/** The package's confidence of `text` (mltu_ext/ctc/confidence.py): characters are aligned to
 * the steps by the best CTC path that emits exactly the text; a character's confidence is its
 * highest probability over its steps, a word's the product of its characters', the text's its
 * least sure word's; an empty text's the geometric mean of the blank's probability. */
export function confidence(rows, text, meta) {
  if (meta.temperature !== undefined && meta.temperature !== 1) rows = temper(rows, meta.temperature);
  const { steps, classes, probs } = rows;
  const p = (t, c) => probs[t * classes + c];
  const chars = Array.from(text);
  if (!chars.length) {
    let total = 0;
    for (let t = 0; t < steps; t++) total += Math.log(p(t, meta.blank) + TINY);
    return Math.exp(total / steps);
  }
  // each character's class: those after the blank are one up (as greedyText reads them)
  const lookup = new Map(meta.chars.map((c, i) => [c, i < meta.blank ? i : i + 1]));
  const labels = chars.map((c) => lookup.get(c));
  const states = alignPath(rows, labels, meta.blank);
  const peaks = chars.map((_, k) => {
    let peak = null;
    for (let t = 0; t < steps; t++) if (states[t] === k) peak = Math.max(peak ?? 0, p(t, labels[k]));
    return peak ?? 0;
  });
  let least = null;
  let product = null;
  chars.forEach((c, k) => {
    if (c !== " ") product = (product ?? 1) * peaks[k];
    if ((c === " " || k === chars.length - 1) && product !== null) {
      least = least === null ? product : Math.min(least, product);
      product = null;
    }
  });
  return least ?? 1;
}

/** The rows with each step's log-probabilities divided by `temperature` and renormalised
 * (mltu_ext/ctc/calibration.py temper): the confidences the model's calibration asks for. */
function temper({ steps, classes, probs }, temperature) {
  const out = new Float64Array(steps * classes);
  for (let t = 0; t < steps; t++) {
    let top = -Infinity;
    for (let c = 0; c < classes; c++) {
      out[t * classes + c] = Math.log(probs[t * classes + c] + TINY) / temperature;
      top = Math.max(top, out[t * classes + c]);
    }
    let total = 0;
    for (let c = 0; c < classes; c++) total += out[t * classes + c] = Math.exp(out[t * classes + c] - top);
    for (let c = 0; c < classes; c++) out[t * classes + c] /= total;
  }
  return { steps, classes, probs: out };
}

/** Per step, the index of the label the best path emitting exactly `labels` emits (-1: blank). */
function alignPath({ steps, classes, probs }, labels, blank) {
  const size = 2 * labels.length + 1; // blank, l1, blank, l2, ..., blank
  const extended = Array.from({ length: size }, (_, s) => (s % 2 ? labels[(s - 1) / 2] : blank));
  const logp = (t, s) => Math.log(probs[t * classes + extended[s]] + TINY);
  let score = Array.from({ length: size }, (_, s) => (s < 2 ? logp(0, s) : -Infinity));
  const back = [new Int8Array(size)];
  for (let t = 1; t < steps; t++) {
    const moves = new Int8Array(size);
    const next = new Array(size);
    for (let s = 0; s < size; s++) {
      // stay, come from the state before, or skip the blank between two different labels
      const options = [
        score[s],
        s >= 1 ? score[s - 1] : -Infinity,
        s >= 3 && s % 2 === 1 && extended[s] !== extended[s - 2] ? score[s - 2] : -Infinity,
      ];
      let move = 0;
      for (let m = 1; m < 3; m++) if (options[m] > options[move]) move = m;
      moves[s] = move;
      next[s] = options[move] + logp(t, s);
    }
    back.push(moves);
    score = next;
  }
  const finals = size > 1 ? [size - 1, size - 2] : [0];
  let state = score[finals[1]] > score[finals[0]] ? finals[1] : finals[0];
  if (!Number.isFinite(score[state])) throw new Error(`${labels.length} labels do not fit ${steps} steps`);
  const path = new Int32Array(steps);
  for (let t = steps - 1; t >= 0; t--) {
    path[t] = state % 2 === 1 ? (state - 1) / 2 : -1;
    state -= back[t][state];
  }
  return path;
}
