"use strict";
// Image preparation as docs/onnx_model.md describes it: decode, grayscale, resize to the
// model's height keeping the aspect ratio. Written to give the same pixels as the Python
// package (OpenCV), so that both read the same text; each step says which OpenCV
// behaviour it reproduces.

const fs = require("node:fs");
const { PNG } = require("pngjs");
const jpeg = require("jpeg-js");

/** A grayscale image: `data` holds height*width bytes, row by row. */
class GrayImage {
  constructor(width, height, data) {
    this.width = width;
    this.height = height;
    this.data = data || new Uint8Array(width * height);
  }
}

/** Round half to even, as C's lrint/cvRound in the default rounding mode and Python's round(). */
function roundHalfEven(x) {
  const low = Math.floor(x);
  const diff = x - low;
  if (diff > 0.5) return low + 1;
  if (diff < 0.5) return low;
  return low % 2 === 0 ? low : low + 1;
}

const f32 = Math.fround;

// ---------------------------------------------------------------- decoding

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** RGBA bytes (8 bits a channel) of a PNG, with the gray levels OpenCV's decoder gives. */
function decodePng(buffer) {
  const depth = buffer[24]; // IHDR's bit depth (8-byte signature, chunk length and type, width, height)
  // 16-bit samples are kept whole and cut to their high byte, as the package does
  // (uint16 >> 8); pngjs's own rescaling would round them instead
  const png = PNG.sync.read(buffer, { skipRescale: depth === 16 });
  const n = png.width * png.height;
  const rgba = new Uint8Array(n * 4);
  const src = png.data;
  for (let i = 0; i < n * 4; i++) rgba[i] = depth === 16 ? src[i] >> 8 : src[i];
  if (png.colorType === 0 && png.transColor) {
    // OpenCV reads a grayscale PNG's transparent colour as the gray it is; pngjs zeroes
    // those pixels, so the colour is put back
    let gray = png.transColor[0];
    if (depth === 16) gray >>= 8;
    else if (depth < 8) gray = (gray * 255) / (2 ** depth - 1);
    for (let i = 0; i < n; i++) {
      if (rgba[4 * i + 3] !== 0) continue;
      rgba.fill(gray, 4 * i, 4 * i + 3);
      rgba[4 * i + 3] = 255;
    }
  }
  return { width: png.width, height: png.height, rgba };
}

/** RGBA bytes of a JPEG (a grayscale JPEG gives R = G = B). */
function decodeJpeg(buffer) {
  // colours converted here rather than by jpeg-js, which truncates floating-point
  // results: libjpeg's (OpenCV's decoder's) integer YCbCr conversion, rounded as it rounds
  const image = jpeg.decode(buffer, { useTArray: true, formatAsRGBA: true, colorTransform: false });
  if (isYCbCr(buffer)) {
    const data = image.data;
    for (let i = 0; i < data.length; i += 4) {
      const [r, g, b] = yccToRgb(data[i], data[i + 1], data[i + 2]);
      data[i] = r;
      data[i + 1] = g;
      data[i + 2] = b;
    }
  }
  return { width: image.width, height: image.height, rgba: image.data };
}

/** Whether a JPEG's three components are YCbCr: always, unless an Adobe marker says RGB. */
function isYCbCr(buffer) {
  let at = 2;
  let components = 0;
  let adobeTransform = null;
  // walk the marker segments up to the first scan
  while (at + 4 <= buffer.length && buffer[at] === 0xff) {
    const marker = buffer[at + 1];
    const length = buffer.readUInt16BE(at + 2);
    const body = at + 4;
    if (marker === 0xda) break;
    const isFrame = marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker);
    if (isFrame) components = buffer[body + 5];
    const isAdobe = marker === 0xee && buffer.toString("latin1", body, body + 5) === "Adobe";
    if (isAdobe) adobeTransform = buffer[body + 11];
    at += 2 + length;
  }
  return components === 3 && adobeTransform !== 0;
}

// libjpeg's YCbCr -> RGB in 16-bit fixed point
const FIX = (x) => Math.round(x * 65536);
const HALF = 1 << 15;
const clampByte = (v) => (v < 0 ? 0 : v > 255 ? 255 : v);

function yccToRgb(y, cb, cr) {
  const xb = cb - 128;
  const xr = cr - 128;
  const r = y + ((FIX(1.402) * xr + HALF) >> 16);
  const g = y + ((-FIX(0.34414) * xb + HALF - FIX(0.71414) * xr) >> 16);
  const b = y + ((FIX(1.772) * xb + HALF) >> 16);
  return [clampByte(r), clampByte(g), clampByte(b)];
}

/** Decode a PNG or JPEG file to { width, height, rgba }; an Error names the file otherwise. */
function decodeFile(file) {
  const buffer = fs.readFileSync(file);
  if (buffer.length >= 8 && buffer.subarray(0, 8).equals(PNG_SIGNATURE)) return decodePng(buffer);
  if (buffer.length >= 3 && buffer[0] === 0xff && buffer[1] === 0xd8 && buffer[2] === 0xff) {
    return decodeJpeg(buffer);
  }
  throw new Error(`${file}: not a PNG or JPEG file (this reader decodes only those)`);
}

// ---------------------------------------------------------------- grayscale

// OpenCV's BGR2GRAY for 8-bit images, 15-bit fixed point (checked on 4.11 and 5.0):
// 0.299 R + 0.587 G + 0.114 B
const R_WEIGHT = 9798;
const G_WEIGHT = 19235;
const B_WEIGHT = 3735;

/** Gray level of one pixel, as the package's to_gray (mltu_ext/data/images.py). */
function grayPixel(r, g, b, a) {
  if (a !== 255) {
    // transparency becomes white paper: float32 arithmetic, then truncation, like
    // numpy's rgb * alpha + 255 * (1 - alpha) and astype(uint8)
    const alpha = f32(a / 255);
    const paper = f32(255 * f32(1 - alpha));
    r = Math.trunc(f32(f32(r * alpha) + paper));
    g = Math.trunc(f32(f32(g * alpha) + paper));
    b = Math.trunc(f32(f32(b * alpha) + paper));
  }
  // on a gray pixel (r = g = b) this gives the gray back, as OpenCV leaves a gray file
  return (r * R_WEIGHT + g * G_WEIGHT + b * B_WEIGHT + (1 << 14)) >> 15;
}

/** { width, height, rgba } to a GrayImage. */
function toGray(decoded) {
  const { width, height, rgba } = decoded;
  const out = new GrayImage(width, height);
  for (let i = 0, j = 0; i < out.data.length; i++, j += 4) {
    out.data[i] = grayPixel(rgba[j], rgba[j + 1], rgba[j + 2], rgba[j + 3]);
  }
  return out;
}

// ---------------------------------------------------------------- resizing

/** The width an image of `width` x `height` gets at `target` rows (Python's round, at least 1). */
function widthAtHeight(width, height, target) {
  return Math.max(1, roundHalfEven((width * target) / Math.max(height, 1)));
}

/** Scale to `target` rows keeping the aspect ratio: OpenCV's INTER_AREA when it shrinks the
 * height, INTER_LINEAR otherwise (as resize_to_height in mltu_ext/data/images.py). */
function resizeToHeight(image, target) {
  const newWidth = widthAtHeight(image.width, image.height, target);
  if (newWidth === image.width && target === image.height) return image; // cv2.resize copies
  if (image.height > target) return resizeArea(image, newWidth, target);
  return resizeLinear(image, newWidth, target);
}

/** cv2.resize's scale factor from source to destination size (computed as OpenCV does). */
function scaleOf(source, dest) {
  return 1 / (dest / source);
}

// --- INTER_LINEAR: half-pixel centres, 11-bit fixed-point weights, as OpenCV for 8-bit images

const COEF_BITS = 11;
const COEF_SCALE = 1 << COEF_BITS;

/** Per destination index: the first source index and the two fixed-point weights. */
function linearTable(source, dest, clampEdges) {
  const scale = scaleOf(source, dest);
  const index = new Int32Array(dest);
  const weights = new Int32Array(dest * 2);
  for (let d = 0; d < dest; d++) {
    let f = f32((d + 0.5) * scale - 0.5); // computed in double, kept as a float
    let s = Math.floor(f);
    f = f32(f - s);
    // columns outside the image take the edge column whole; rows are clipped below
    if (clampEdges && (s < 0 || s >= source - 1)) {
      s = s < 0 ? 0 : source - 1;
      f = 0;
    }
    index[d] = s;
    weights[2 * d] = roundHalfEven(f32(1 - f) * COEF_SCALE);
    weights[2 * d + 1] = roundHalfEven(f * COEF_SCALE);
  }
  return { index, weights };
}

function resizeLinear(image, width, height) {
  const { width: sw, height: sh, data: src } = image;
  const xs = linearTable(sw, width, true);
  const ys = linearTable(sh, height, false);
  // one horizontally resized row (weights still scaled by 2^11) per source row used
  const rowCache = new Map();
  const horizontal = (sy) => {
    if (rowCache.has(sy)) return rowCache.get(sy);
    const row = new Int32Array(width);
    const base = sy * sw;
    for (let x = 0; x < width; x++) {
      const s = xs.index[x];
      const next = s + 1 < sw ? src[base + s + 1] : 0; // its weight is 0 at the edge
      row[x] = src[base + s] * xs.weights[2 * x] + next * xs.weights[2 * x + 1];
    }
    rowCache.set(sy, row);
    return row;
  };
  const out = new GrayImage(width, height);
  const clip = (y) => Math.min(Math.max(y, 0), sh - 1);
  for (let y = 0; y < height; y++) {
    const top = horizontal(clip(ys.index[y]));
    const bottom = horizontal(clip(ys.index[y] + 1));
    const b0 = ys.weights[2 * y];
    const b1 = ys.weights[2 * y + 1];
    for (let x = 0; x < width; x++) {
      // OpenCV's 8-bit rounding of the two 22-bit products (same in its vector code)
      const v = (((b0 * (top[x] >> 4)) >> 16) + ((b1 * (bottom[x] >> 4)) >> 16) + 2) >> 2;
      out.data[y * width + x] = Math.min(255, Math.max(0, v));
    }
    if (rowCache.size > 4) rowCache.delete(rowCache.keys().next().value); // rows are used in order
  }
  return out;
}

// --- INTER_AREA (shrinking): each destination pixel averages the source pixels its area covers

/** OpenCV's area table: [dest index, source index, float32 weight] for each overlap. */
function areaTable(source, dest, scale) {
  const table = [];
  for (let d = 0; d < dest; d++) {
    const fs1 = d * scale;
    const fs2 = fs1 + scale;
    const cell = Math.min(scale, source - fs1);
    let s2 = Math.floor(fs2);
    let s1 = Math.ceil(fs1);
    s2 = Math.min(s2, source - 1);
    s1 = Math.min(s1, s2);
    // a source pixel partly inside on the left, the whole ones, one partly inside on the right
    if (s1 - fs1 > 1e-3) table.push([d, s1 - 1, f32((s1 - fs1) / cell)]);
    for (let s = s1; s < s2; s++) table.push([d, s, f32(1 / cell)]);
    if (fs2 - s2 > 1e-3) table.push([d, s2, f32(Math.min(Math.min(fs2 - s2, 1), cell) / cell)]);
  }
  return table;
}

function resizeArea(image, width, height) {
  const scaleX = scaleOf(image.width, width);
  const scaleY = scaleOf(image.height, height);
  const ix = roundHalfEven(scaleX);
  const iy = roundHalfEven(scaleY);
  // whole-number factors take OpenCV's integer path (its test, with its tolerance)
  if (Math.abs(scaleX - ix) < Number.EPSILON && Math.abs(scaleY - iy) < Number.EPSILON) {
    return resizeAreaWhole(image, width, height, ix, iy);
  }
  const { width: sw, data: src } = image;
  const xtab = areaTable(image.width, width, scaleX);
  const ytab = areaTable(image.height, height, scaleY);
  const out = new GrayImage(width, height);
  // sums in float32 in OpenCV's order: each source row across, then rows weighted down
  const buf = new Float32Array(width);
  const sum = new Float32Array(width);
  let current = ytab.length ? ytab[0][0] : 0;
  const flush = (y) => {
    for (let x = 0; x < width; x++) out.data[y * width + x] = saturateByte(sum[x]);
  };
  for (const [dy, sy, beta] of ytab) {
    buf.fill(0);
    const base = sy * sw;
    for (const [dx, sx, alpha] of xtab) buf[dx] = f32(buf[dx] + f32(src[base + sx] * alpha));
    if (dy !== current) {
      flush(current);
      for (let x = 0; x < width; x++) sum[x] = f32(beta * buf[x]);
      current = dy;
    } else {
      for (let x = 0; x < width; x++) sum[x] = f32(sum[x] + f32(beta * buf[x]));
    }
  }
  flush(current);
  return out;
}

/** A float to a byte as OpenCV's saturate_cast<uchar> does (round half to even, then clamp). */
function saturateByte(v) {
  return Math.min(255, Math.max(0, roundHalfEven(v)));
}

function resizeAreaWhole(image, width, height, fx, fy) {
  const { width: sw, data: src } = image;
  const out = new GrayImage(width, height);
  const scale = f32(1 / (fx * fy));
  // OpenCV rounds 2x2 averages half up ((sum + 2) >> 2, as its vector code does), other
  // whole factors as sum * (1 / area) in float32 rounded half to even
  const halving = fx === 2 && fy === 2;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let total = 0;
      for (let k = 0; k < fy; k++) {
        const base = (y * fy + k) * sw + x * fx;
        for (let j = 0; j < fx; j++) total += src[base + j];
      }
      out.data[y * width + x] = halving ? (total + 2) >> 2 : saturateByte(f32(total * scale));
    }
  }
  return out;
}

/** Read an image file as the model's rows: decoded, gray, at `height` rows; `sourceWidth`
 * and `sourceHeight` keep the size it was read at. */
function loadForModel(file, height) {
  const gray = toGray(decodeFile(file));
  const resized = resizeToHeight(gray, height);
  return Object.assign(new GrayImage(resized.width, resized.height, resized.data), {
    sourceWidth: gray.width,
    sourceHeight: gray.height,
  });
}

module.exports = {
  GrayImage,
  decodeFile,
  toGray,
  resizeToHeight,
  widthAtHeight,
  loadForModel,
  roundHalfEven,
};
