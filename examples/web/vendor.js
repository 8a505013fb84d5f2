// Copies the parts of onnxruntime-web that the page loads into vendor/, so that the page is
// served from the repository alone (no CDN) and works offline once loaded. Run by
// `npm run vendor` after `npm install` (scripts/install.sh does both). The files are
// third-party builds: vendor/ is filled at set-up time and is not committed.

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(here, "node_modules", "onnxruntime-web", "dist");
const vendor = path.join(here, "vendor");

// the WebAssembly-only build (no WebGL/WebGPU code: the page runs on the CPU) as one ES
// module, and the one .wasm binary it loads (SIMD; threads are used only where the page is
// cross-origin isolated, which a plain http.server is not)
const FILES = ["ort.wasm.bundle.min.mjs", "ort-wasm-simd-threaded.wasm"];

if (!fs.existsSync(dist)) {
  console.error(`${dist} is missing: run "npm install" in ${here} first`);
  process.exit(1);
}
fs.mkdirSync(vendor, { recursive: true });
for (const name of FILES) fs.copyFileSync(path.join(dist, name), path.join(vendor, name));
const { version } = JSON.parse(fs.readFileSync(path.join(dist, "..", "package.json"), "utf8"));
// the page shows which runtime it loaded, and the service worker's cache name follows it
fs.writeFileSync(path.join(vendor, "version.json"), JSON.stringify({ "onnxruntime-web": version }) + "\n");
console.log(`copied onnxruntime-web ${version}: ${FILES.join(", ")} -> ${path.relative(process.cwd(), vendor) || "."}`);
