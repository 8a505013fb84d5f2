#!/usr/bin/env node
"use strict";
// Read handwriting with a model exported by mltu_ext, using nothing but the contract in
// docs/onnx_model.md: the metadata from the sidecar JSON, images prepared and the output
// decoded as it says.
//
//   node recognize.js MODEL IMAGE...        one line per image: its text
//                                           (with several images: path<TAB>text)
//   node recognize.js --confidence MODEL IMAGE...   text<TAB>confidence
//
// MODEL is a folder with model.onnx and model.json, or an .onnx file with its .json beside
// it. The output is the same as `python inferenceModel.py --image IMAGE... --model MODEL
// --no-ink-check` (this reader has no ink check: it reads blank paper too).

const fs = require("node:fs");
const path = require("node:path");
const ort = require("onnxruntime-node");
const { loadForModel } = require("./image");

const FORMAT_VERSION = 1; // the newest version of docs/onnx_model.md this reader follows
const MAX_INPUT_WIDTH = 16384; // columns at the model's height, as the package's default
const BATCH_SIZE = 32; // the package's default: the padding of a batch changes its outputs a little
const TINY = 1e-30; // keeps log() finite for probabilities that underflowed to zero

class UsageError extends Error {}

// ---------------------------------------------------------------- the model and its metadata

/** The ONNX file of MODEL: the file itself, a folder's model.onnx, or a folder's only .onnx. */
function findModelFile(model) {
  if (!fs.existsSync(model)) throw new UsageError(`${model}: model not found`);
  if (!fs.statSync(model).isDirectory()) return model;
  const preferred = path.join(model, "model.onnx");
  if (fs.existsSync(preferred)) return preferred;
  const found = fs.readdirSync(model).filter((name) => name.endsWith(".onnx"));
  if (found.length === 1) return path.join(model, found[0]);
  throw new UsageError(`${model}: ${found.length ? "several .onnx files, name one" : "no .onnx file"}`);
}

/** The sidecar beside an ONNX file: model.json for model.onnx, model.int8.json for model.int8.onnx. */
function sidecarPath(onnxPath) {
  return onnxPath.replace(/\.onnx$/i, "") + ".json";
}

/** The metadata from the sidecar, checked for the fields this reader needs. */
function readMetadata(onnxPath) {
  const file = sidecarPath(onnxPath);
  if (!fs.existsSync(file)) {
    // onnxruntime-node cannot read the copy inside the ONNX file
    throw new UsageError(
      `${file}: metadata file missing beside ${onnxPath}; write it with ` +
        `"python -m mltu_ext.export.metadata ${onnxPath}" (see docs/onnx_model.md)`,
    );
  }
  let meta;
  try {
    meta = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    throw new UsageError(`${file}: not valid JSON (${error.message})`);
  }
  if (meta === null || typeof meta !== "object" || Array.isArray(meta)) {
    throw new UsageError(`${file}: not a JSON object`);
  }
  const version = meta.format_version === undefined ? 1 : meta.format_version;
  if (!Number.isInteger(version) || version < 1) {
    throw new UsageError(`${file}: format_version ${JSON.stringify(version)} must be a whole number >= 1`);
  }
  if (version > FORMAT_VERSION) {
    throw new UsageError(
      `${file}: format version ${version} is newer than this reader's (${FORMAT_VERSION})`,
    );
  }
  const whole = (name, fallback, low, high) => {
    const value = meta[name] === undefined ? fallback : meta[name];
    if (!Number.isInteger(value) || value < low || value > high) {
      throw new UsageError(`${file}: field ${name} must be a whole number ${low}..${high}, got ${value}`);
    }
    return value;
  };
  if (typeof meta.vocabulary !== "string" || !meta.vocabulary) {
    throw new UsageError(`${file}: field vocabulary must be non-empty text`);
  }
  const chars = Array.from(meta.vocabulary); // code points, as Python indexes a str
  return {
    chars,
    blank: whole("blank_index", undefined, 0, chars.length),
    height: whole("input_height", undefined, 1, 1 << 16),
    channels: whole("channels", undefined, 1, 3),
    timeScale: whole("time_scale", 1, 1, 1 << 16),
    padValue: whole("padding_value", 255, 0, 255),
  };
}

/** Refuse metadata that contradicts the graph: it would read wrong text. */
function checkAgainstGraph(meta, session, onnxPath) {
  const input = session.inputMetadata[0].shape; // [batch, height, width, channels]
  const output = session.outputMetadata[0].shape; // [batch, steps, classes]
  const fixed = (d) => (typeof d === "number" ? d : null);
  if (fixed(output[2]) !== null && output[2] !== meta.chars.length + 1) {
    throw new UsageError(
      `${onnxPath}: the metadata has ${meta.chars.length} characters ` +
        `but the graph gives ${output[2]} classes`,
    );
  }
  if (fixed(input[1]) !== null && input[1] !== meta.height) {
    throw new UsageError(`${onnxPath}: input_height ${meta.height} but the graph takes ${input[1]}`);
  }
  if (![1, 3].includes(meta.channels) || (fixed(input[3]) !== null && input[3] !== meta.channels)) {
    throw new UsageError(`${onnxPath}: channels ${meta.channels} but the graph takes ${input[3]}`);
  }
}

// ---------------------------------------------------------------- batches

/** Float32 (B, H, W, C) of prepared images: padded on the right to the widest, the width a
 * multiple of time_scale and at least 4 * time_scale. */
function makeBatch(images, meta) {
  let width = Math.max(...images.map((im) => im.width));
  if (width > MAX_INPUT_WIDTH) {
    throw new UsageError(
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
  return new ort.Tensor("float32", data, [images.length, height, width, channels]);
}

/** Probability rows of image b of an output tensor: steps x classes. */
function rowsOf(output, b) {
  const [, steps, classes] = output.dims;
  const start = b * steps * classes;
  return { steps, classes, probs: output.data.subarray(start, start + steps * classes) };
}

// ---------------------------------------------------------------- decoding

/** Best-path text: argmax per step (the first on a tie), repeats merged, blanks dropped. */
function greedyText({ steps, classes, probs }, meta) {
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
function confidence(rows, text, meta) {
  const { steps, classes, probs } = rows;
  const p = (t, c) => probs[t * classes + c];
  const chars = Array.from(text);
  if (!chars.length) {
    let total = 0;
    for (let t = 0; t < steps; t++) total += Math.log(p(t, meta.blank) + TINY);
    return Math.exp(total / steps);
  }
  const lookup = new Map(meta.chars.map((c, i) => [c, i]));
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

// ---------------------------------------------------------------- the command

/** `path` as Python's pathlib prints it: no repeated or trailing slashes, no "." parts. */
function pathlibName(name) {
  const absolute = name.startsWith("/");
  const parts = name.split("/").filter((part) => part && part !== ".");
  const joined = parts.join("/");
  return absolute ? `/${joined}` : joined || ".";
}

function parseArgs(argv) {
  const options = { confidence: false, batchSize: BATCH_SIZE, rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--confidence") options.confidence = true;
    else if (arg === "--batch-size") options.batchSize = Number(argv[++i]);
    else if (arg === "-h" || arg === "--help") throw new UsageError("usage");
    else options.rest.push(arg);
  }
  if (options.rest.length < 2) throw new UsageError("usage");
  if (!Number.isInteger(options.batchSize) || options.batchSize < 1) {
    throw new UsageError("--batch-size must be a whole number >= 1");
  }
  return options;
}

const USAGE = "usage: node recognize.js [--confidence] [--batch-size N] MODEL IMAGE...";

async function main(argv) {
  const options = parseArgs(argv);
  const [model, ...files] = options.rest;
  const onnxPath = findModelFile(model);
  const meta = readMetadata(onnxPath);
  const session = await ort.InferenceSession.create(onnxPath);
  checkAgainstGraph(meta, session, onnxPath);
  for (const file of files) {
    if (!fs.existsSync(file) || !fs.statSync(file).isFile()) {
      throw new UsageError(`${file}: no such image file`);
    }
  }
  const images = files.map((file) => {
    try {
      return loadForModel(file, meta.height);
    } catch (error) {
      // the decoders' messages do not name the file
      const named = error.message.startsWith(file);
      throw new UsageError(named ? error.message : `${file}: cannot decode image (${error.message})`);
    }
  });
  // images of similar shape batched together, in the package's order (by width / height
  // of the image as read): the padding of a batch is part of what the model sees
  const order = files.map((_, i) => i);
  const aspect = images.map((im) => im.sourceWidth / Math.max(im.sourceHeight, 1));
  order.sort((a, b) => aspect[a] - aspect[b]);
  const lines = new Array(files.length);
  for (let start = 0; start < order.length; start += options.batchSize) {
    const chunk = order.slice(start, start + options.batchSize);
    const feeds = { [session.inputNames[0]]: makeBatch(chunk.map((i) => images[i]), meta) };
    const output = (await session.run(feeds))[session.outputNames[0]];
    chunk.forEach((i, b) => {
      const rows = rowsOf(output, b);
      const text = greedyText(rows, meta);
      lines[i] = options.confidence ? `${text}\t${confidence(rows, text, meta).toFixed(4)}` : text;
    });
  }
  lines.forEach((line, i) => {
    process.stdout.write((files.length === 1 ? line : `${pathlibName(files[i])}\t${line}`) + "\n");
  });
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error) => {
      // one line on stderr and status 2, as the Python command
      const message = error instanceof UsageError && error.message === "usage" ? USAGE : error.message;
      process.stderr.write(`error: ${message.split("\n")[0]}\n`);
      process.exitCode = 2;
    },
  );
}

module.exports = { readMetadata, sidecarPath, greedyText, confidence, makeBatch };
