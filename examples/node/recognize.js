#!/usr/bin/env node
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
// --no-ink-check` (this reader has no ink check: it reads blank paper too). The metadata checks,
// batches and decoding are in ./shared/reader.js, the gray and resize steps in
// ./shared/pixels.js: the web page (examples/web) loads the same two files.

import fs from "node:fs";
import path from "node:path";
import ort from "onnxruntime-node";
import { loadForModel } from "./image.js";
import {
  BATCH_SIZE,
  batchOrder,
  checkAgainstGraph,
  checkMetadata,
  confidence,
  greedyText,
  makeBatch,
  rowsOf,
} from "./shared/reader.js";

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
  return checkMetadata(meta, file);
}

/** The ONNX Runtime tensor of a batch of prepared images. */
function batchTensor(images, meta) {
  const { data, dims } = makeBatch(images, meta);
  return new ort.Tensor("float32", data, dims);
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
  checkAgainstGraph(meta, session.inputMetadata[0].shape, session.outputMetadata[0].shape, onnxPath);
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
  const order = batchOrder(images);
  const lines = new Array(files.length);
  for (let start = 0; start < order.length; start += options.batchSize) {
    const chunk = order.slice(start, start + options.batchSize);
    const feeds = { [session.inputNames[0]]: batchTensor(chunk.map((i) => images[i]), meta) };
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

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error) => {
    // one line on stderr and status 2, as the Python command
    const message = error instanceof UsageError && error.message === "usage" ? USAGE : error.message;
    process.stderr.write(`error: ${message.split("\n")[0]}\n`);
    process.exitCode = 2;
  },
);
