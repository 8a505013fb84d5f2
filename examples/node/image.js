// Reading image files for the Node reader as docs/onnx_model.md describes it: decode PNG and
// JPEG with the gray levels OpenCV's decoders give, then the shared steps (gray, resize to the
// model's height) from ./shared/pixels.js, which the web page uses too.

import fs from "node:fs";
import pngjs from "pngjs";
import jpeg from "jpeg-js";
import { GrayImage, resizeToHeight, toGray } from "./shared/pixels.js";

export { GrayImage, resizeToHeight, roundHalfEven, toGray, widthAtHeight } from "./shared/pixels.js";

const { PNG } = pngjs; // a CommonJS package: its exports come as the default import

// ---------------------------------------------------------------- decoding

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** RGBA bytes (8 bits a channel) of a PNG, with the gray levels OpenCV's decoder gives. */
function decodePng(buffer) {
  const depth = buffer[24]; // IHDR's bit depth (8-byte signature, chunk length and type, width, height)
  // 16-bit samples are kept whole (pngjs's own rescaling would round them) and shifted right
  // by the bit length of the image's largest sample less 8, as the package's to_uint8 does, so
  // that 12-bit data stored in 16 bits is not darkened; none at all when it is at most 255
  const png = PNG.sync.read(buffer, { skipRescale: depth === 16 });
  const n = png.width * png.height;
  const rgba = new Uint8Array(n * 4);
  const src = png.data;
  const shift = depth === 16 ? sixteenBitShift(src, n, png.colorType) : 0;
  for (let i = 0; i < n * 4; i++) rgba[i] = depth === 16 ? Math.min(255, src[i] >> shift) : src[i];
  if (png.colorType === 0 && png.transColor) {
    // OpenCV reads a grayscale PNG's transparent colour as the gray it is; pngjs zeroes
    // those pixels, so the colour is put back
    let gray = png.transColor[0];
    if (depth === 16) gray = Math.min(255, gray >> shift);
    else if (depth < 8) gray = (gray * 255) / (2 ** depth - 1);
    for (let i = 0; i < n; i++) {
      if (rgba[4 * i + 3] !== 0) continue;
      rgba.fill(gray, 4 * i, 4 * i + 3);
      rgba[4 * i + 3] = 255;
    }
  }
  return { width: png.width, height: png.height, rgba };
}

/** The right shift that brings a 16-bit PNG's samples to 8 bits: the bit length of its largest
 * sample less 8 (0 when that is at most 255), over the channels the file has, as OpenCV gives
 * them to the package: gray alone, RGB, or with alpha (pngjs fills a missing alpha with 65535). */
function sixteenBitShift(samples, n, colorType) {
  const channels = colorType === 0 ? 1 : colorType === 2 ? 3 : 4;
  let top = 0;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < channels; c++) top = Math.max(top, samples[4 * i + c]);
  }
  const bits = top === 0 ? 0 : Math.floor(Math.log2(top)) + 1;
  return Math.max(0, bits - 8);
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

/** The EXIF Orientation (1-8) of a JPEG: 1 (as stored) when it has none. Phones store a photo's
 * pixels as the sensor saw them and say in EXIF how a viewer turns them; the package turns
 * JPEG, TIFF and WebP files accordingly (images.upright), after decoding. */
function jpegOrientation(buffer) {
  let at = 2;
  // walk the marker segments up to the first scan, looking for APP1 "Exif\0\0"
  while (at + 4 <= buffer.length && buffer[at] === 0xff) {
    const marker = buffer[at + 1];
    const length = buffer.readUInt16BE(at + 2);
    const end = Math.min(buffer.length, at + 2 + length);
    if (marker === 0xda || marker === 0xd9) break;
    if (marker === 0xe1 && buffer.toString("latin1", at + 4, at + 10) === "Exif\0\0") {
      const tiff = at + 10; // the TIFF header: byte order, 42, offset of the first IFD
      const little = buffer.toString("latin1", tiff, tiff + 2) === "II";
      const u16 = (i) => (i + 2 <= end ? (little ? buffer.readUInt16LE(i) : buffer.readUInt16BE(i)) : 0);
      const u32 = (i) => (i + 4 <= end ? (little ? buffer.readUInt32LE(i) : buffer.readUInt32BE(i)) : 0);
      const ifd = tiff + u32(tiff + 4);
      const count = u16(ifd);
      for (let k = 0; k < count; k++) {
        const entry = ifd + 2 + 12 * k;
        if (entry + 12 > end) break;
        if (u16(entry) !== 0x0112) continue;
        const value = u16(entry + 8);
        return value >= 1 && value <= 8 ? value : 1;
      }
      return 1;
    }
    at += 2 + length;
  }
  return 1;
}

/** `image` (a GrayImage) turned as EXIF `orientation` says a viewer shows it (images.upright):
 * 2 mirrored, 3 turned 180 degrees, 4 flipped, 5 transposed, 6 turned clockwise, 7 transposed
 * and turned 180 degrees, 8 turned counter-clockwise. */
export function upright(image, orientation) {
  if (!(orientation >= 2 && orientation <= 8)) return image;
  const { width: w, height: h, data } = image;
  const quarter = orientation >= 5;
  const out = new GrayImage(quarter ? h : w, quarter ? w : h);
  // the source (x, y) of each output pixel (x, y)
  const source = {
    2: (x, y) => [w - 1 - x, y],
    3: (x, y) => [w - 1 - x, h - 1 - y],
    4: (x, y) => [x, h - 1 - y],
    5: (x, y) => [y, x],
    6: (x, y) => [y, h - 1 - x],
    7: (x, y) => [w - 1 - y, h - 1 - x],
    8: (x, y) => [w - 1 - y, x],
  }[orientation];
  for (let y = 0; y < out.height; y++) {
    for (let x = 0; x < out.width; x++) {
      const [sx, sy] = source(x, y);
      out.data[y * out.width + x] = data[sy * w + sx];
    }
  }
  return out;
}

/** Decode a PNG or JPEG file to { width, height, rgba }; an Error names the file otherwise. */
export function decodeFile(file) {
  const buffer = fs.readFileSync(file);
  if (buffer.length >= 8 && buffer.subarray(0, 8).equals(PNG_SIGNATURE)) return decodePng(buffer);
  if (buffer.length >= 3 && buffer[0] === 0xff && buffer[1] === 0xd8 && buffer[2] === 0xff) {
    return { ...decodeJpeg(buffer), orientation: jpegOrientation(buffer) };
  }
  throw new Error(`${file}: not a PNG or JPEG file (this reader decodes only those)`);
}

/** Read an image file as the model's rows: decoded, gray, at `height` rows; `sourceWidth`
 * and `sourceHeight` keep the size it was read at. */
export function loadForModel(file, height) {
  const decoded = decodeFile(file);
  const gray = upright(toGray(decoded), decoded.orientation); // a PNG's EXIF is not read, as in the package
  const resized = resizeToHeight(gray, height);
  return Object.assign(new GrayImage(resized.width, resized.height, resized.data), {
    sourceWidth: gray.width,
    sourceHeight: gray.height,
  });
}
