#!/usr/bin/env node
// Prints the pixels the reader feeds the model, for comparing them with the Python
// package's: `node prepared.js HEIGHT IMAGE...` writes one JSON line per image,
// {"file", "width", "height", "pixels" (base64 of the gray rows)}.

import { loadForModel } from "./image.js";

function main(argv) {
  const [height, ...files] = argv;
  if (!files.length || !(Number(height) > 0)) {
    process.stderr.write("usage: node prepared.js HEIGHT IMAGE...\n");
    return 2;
  }
  for (const file of files) {
    const image = loadForModel(file, Number(height));
    const pixels = Buffer.from(image.data.buffer, image.data.byteOffset, image.data.length);
    const line = { file, width: image.width, height: image.height, pixels: pixels.toString("base64") };
    process.stdout.write(JSON.stringify(line) + "\n");
  }
  return 0;
}

process.exitCode = main(process.argv.slice(2));
