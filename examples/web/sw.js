// Keeps a copy of everything the page loads, so that it also opens and reads without the
// server once it has been loaded (the model runs in the page anyway). Network first: while
// the server is there the page always gets the files as they are now, and edits show at
// once; the copy is used only when a request fails (server stopped, machine offline).

const CACHE = "mltu-web-v1";

// the page and what it loads; the models are added when they exist (a missing one is
// skipped), so that a reload offline can still switch between them
const FILES = [
  "./",
  "index.html",
  "app.js",
  "recognizer.js",
  "../node/shared/pixels.js",
  "../node/shared/reader.js",
  "vendor/ort.wasm.bundle.min.mjs",
  "vendor/ort-wasm-simd-threaded.wasm",
  "../../Models/dhsd_words/model.json",
  "../../Models/dhsd_words/model.onnx",
  "../../Models/handwritten_lines/model.json",
  "../../Models/handwritten_lines/model.onnx",
];

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE).then((cache) =>
      // one by one: cache.addAll fails as a whole when one file (a missing model) fails
      Promise.all(FILES.map((file) => cache.add(new URL(file, self.location)).catch(() => null))),
    ),
  );
  self.skipWaiting();
});

self.addEventListener("activate", (event) => {
  event.waitUntil(self.clients.claim());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET" || new URL(request.url).origin !== self.location.origin) return;
  event.respondWith(
    fetch(request).then(
      (response) => {
        if (response.ok) {
          const copy = response.clone();
          // the key leaves out the query and the cache mode: a "no-cache" probe of model.json
          // and a plain fetch are the same file
          caches.open(CACHE).then((cache) => cache.put(request.url.split("?")[0], copy));
        }
        return response;
      },
      async (error) => {
        const kept = await caches.match(request.url.split("?")[0]);
        if (kept) return kept;
        throw error;
      },
    ),
  );
});
