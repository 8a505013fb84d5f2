// Image steps of docs/onnx_model.md that need no decoder: colour to gray and the resize to
// the model's height. Written to give the same pixels as the Python package (OpenCV), so that
// every reader reads the same text; each step says which OpenCV behaviour it reproduces.
// Plain ES module without imports: the Node reader (../image.js) and the web page
// (examples/web/app.js) both load this one file.

/** A grayscale image: `data` holds height*width bytes, row by row. */
export class GrayImage {
  constructor(width, height, data) {
    this.width = width;
    this.height = height;
    this.data = data || new Uint8Array(width * height);
  }
}

/** Round half to even, as C's lrint/cvRound in the default rounding mode and Python's round(). */
export function roundHalfEven(x) {
  const low = Math.floor(x);
  const diff = x - low;
  if (diff > 0.5) return low + 1;
  if (diff < 0.5) return low;
  return low % 2 === 0 ? low : low + 1;
}

const f32 = Math.fround;

// ---------------------------------------------------------------- grayscale

// OpenCV's BGR2GRAY for 8-bit images, 15-bit fixed point (checked on 4.11 and 5.0):
// 0.299 R + 0.587 G + 0.114 B
const R_WEIGHT = 9798;
const G_WEIGHT = 19235;
const B_WEIGHT = 3735;

/** Gray level of one pixel, as the package's to_gray (mltu_ext/data/images.py). */
export function grayPixel(r, g, b, a) {
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
export function toGray(decoded) {
  const { width, height, rgba } = decoded;
  const out = new GrayImage(width, height);
  for (let i = 0, j = 0; i < out.data.length; i++, j += 4) {
    out.data[i] = grayPixel(rgba[j], rgba[j + 1], rgba[j + 2], rgba[j + 3]);
  }
  return out;
}

// ---------------------------------------------------------------- resizing

/** The width an image of `width` x `height` gets at `target` rows (Python's round, at least 1). */
export function widthAtHeight(width, height, target) {
  return Math.max(1, roundHalfEven((width * target) / Math.max(height, 1)));
}

/** Scale to `target` rows keeping the aspect ratio: OpenCV's INTER_AREA when it shrinks the
 * height, INTER_LINEAR otherwise; a two-level (bitonal) image is then softened, a bitonal
 * image saved as JPEG made two-level first (as resize_to_height in mltu_ext/data/images.py). */
export function resizeToHeight(image, target) {
  image = snapNearTwoLevel(image);
  const newWidth = widthAtHeight(image.width, image.height, target);
  let resized;
  if (newWidth === image.width && target === image.height) resized = image; // cv2.resize copies
  else if (image.height > target) resized = resizeArea(image, newWidth, target);
  else resized = resizeLinear(image, newWidth, target);
  return isTwoLevel(image) ? softenEdges(resized) : resized;
}

// a bitonal image saved as JPEG (is_near_two_level): pixels this close to black or white count
// as black or white, and at most this share of the ink may lie in between
const NEAR_LEVEL = 48;
const MAX_MID_SHARE = 0.05;

/** True when the image is black and white but for a few pixels, as a bitonal scan saved as
 * JPEG is (is_near_two_level). */
export function isNearTwoLevel(image) {
  const data = image.data;
  if (data.length === 0) return false;
  let dark = 0;
  let light = 0;
  for (const v of data) {
    if (v < NEAR_LEVEL) dark++;
    else if (v >= 256 - NEAR_LEVEL) light++;
  }
  const between = data.length - dark - light;
  return dark > 0 && light > 0 && between <= MAX_MID_SHARE * (between + dark);
}

/** A near two-level image as black (0) and white (255), split at mid-gray; any other image,
 * two-level ones too, as it is (snap_near_two_level). */
export function snapNearTwoLevel(image) {
  if (isTwoLevel(image) || !isNearTwoLevel(image)) return image;
  const out = new GrayImage(image.width, image.height);
  for (let i = 0; i < image.data.length; i++) out.data[i] = image.data[i] < 128 ? 0 : 255;
  return out;
}

/** True when the image holds exactly two gray levels (is_two_level). */
export function isTwoLevel(image) {
  const data = image.data;
  if (data.length === 0) return false;
  let low = 255;
  let high = 0;
  for (const v of data) {
    if (v < low) low = v;
    if (v > high) high = v;
  }
  if (low === high) return false;
  for (const v of data) if (v !== low && v !== high) return false;
  return true;
}

/** The 3 x 3 binomial filter [1 2 1] x [1 2 1] / 16, edge pixels repeated, (sum + 8) >> 4
 * (soften_edges): the models misread the hard edges of bitonal images. */
export function softenEdges(image) {
  const { width, height, data } = image;
  const out = new GrayImage(width, height);
  const at = (x, y) =>
    data[Math.min(height - 1, Math.max(0, y)) * width + Math.min(width - 1, Math.max(0, x))];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const column = (cx) => at(cx, y - 1) + 2 * at(cx, y) + at(cx, y + 1);
      out.data[y * width + x] = (column(x - 1) + 2 * column(x) + column(x + 1) + 8) >> 4;
    }
  }
  return out;
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
