"""Image reading and resizing shared by training, checking and inference.

Images are 8-bit grayscale, dark ink on white. Resizing keeps the aspect
ratio; the free space on the right is filled with ``PAD_VALUE`` (white), the
same value the model sees during training and inference.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import cv2
import numpy as np

from mltu_ext.errors import ImageReadError

# the image files every reader, folder listing and command accepts
IMAGE_SUFFIXES = (
    ".png",
    ".jpg",
    ".jpeg",
    ".tif",
    ".tiff",
    ".bmp",
    ".webp",
    ".gif",
    ".jp2",
    ".pgm",
    ".ppm",
    ".pbm",
    ".pnm",
)
PAD_VALUE = 255
# the largest image decoded (pixels): an A4 page at 600 dpi has 35 million; a
# larger file is refused before it is decoded, so that a 60,000-pixel-wide
# image cannot take gigabytes. Callers pass max_pixels to change it.
MAX_IMAGE_PIXELS = 64_000_000
# a bitonal image saved as JPEG: pixels this close to black or white count as black or white,
# and at most this share of the ink (the pixels not near white) may lie in between
# (grayscale scans and rendered lines hold far more; benchmarks/bitonal, run 002)
NEAR_LEVEL = 48
MAX_MID_SHARE = 0.05
EXIF_ORIENTATION = 0x0112  # the EXIF tag of how a viewer turns the stored pixels


def read_gray(path: str, max_pixels: int = MAX_IMAGE_PIXELS) -> np.ndarray:
    """Read ``path`` as uint8 grayscale (H, W); raises ImageReadError naming the file."""
    if not os.path.isfile(path):
        if os.path.islink(path):
            raise ImageReadError(f"{path}: a symbolic link to nothing (broken, or a loop)")
        raise ImageReadError(f"{path}: image file not found")
    try:
        data = np.fromfile(path, dtype=np.uint8).tobytes()
    except OSError as error:
        raise ImageReadError(f"{path}: cannot read ({error.strerror or error})") from error
    return decode_gray(data, path, max_pixels)


def decode_gray(data: bytes, name: str = "<bytes>", max_pixels: int = MAX_IMAGE_PIXELS) -> np.ndarray:
    """Decode PNG/JPEG/... bytes to uint8 grayscale (H, W); alpha is composited on white.

    Images of more than ``max_pixels`` pixels are refused from their header,
    before any pixel is decoded.
    """
    size = image_size(data)
    if size is not None and (size == TOO_LARGE or size[0] * size[1] > max_pixels):
        shown = "larger than Pillow can report" if size == TOO_LARGE else f"{size[0]}x{size[1]} pixels"
        raise ImageReadError(
            f"{name}: image is {shown}, more than the limit of {max_pixels:,}; "
            "scale it down or raise the limit (max_pixels)"
        )
    buffer = np.frombuffer(data, dtype=np.uint8)
    image = cv2.imdecode(buffer, cv2.IMREAD_UNCHANGED) if buffer.size else None
    if image is None:
        raise ImageReadError(f"{name}: cannot decode image ({len(data)} bytes)")
    # IMREAD_UNCHANGED keeps alpha and 16 bits but ignores the EXIF orientation a phone writes
    orientation = 1 if is_tiff(data[:4]) and opencv_turns_tiff() else exif_orientation(data)
    return upright(to_gray(image), orientation)


def is_tiff(head: bytes) -> bool:
    """Whether a file starting with ``head`` (4 bytes) is a TIFF (either byte order)."""
    return head[:4] in (b"II*\x00", b"MM\x00*")


@functools.cache
def opencv_turns_tiff() -> bool:
    """Whether this OpenCV turns a TIFF by its Orientation tag while decoding it.

    Some versions do, even with IMREAD_UNCHANGED, and others do not; turning such a page
    again would give it sideways or mirrored. A two-pixel TIFF tagged "turn clockwise"
    tells which, once.
    """
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.zeros((1, 2), np.uint8)).save(buffer, "TIFF", tiffinfo={EXIF_ORIENTATION: 6})
    decoded = cv2.imdecode(np.frombuffer(buffer.getvalue(), np.uint8), cv2.IMREAD_UNCHANGED)
    return decoded is not None and decoded.shape[:2] == (2, 1)


def asks_exif(head: bytes) -> bool:
    """Whether an image file starting with ``head`` (12 bytes) is turned by its EXIF orientation.

    Only JPEG, TIFF and WebP are asked: Pillow would decode a whole PNG to find its EXIF.
    """
    return head[:2] == b"\xff\xd8" or is_tiff(head) or head[8:12] == b"WEBP"


def frame_count(path: str | os.PathLike) -> int:
    """How many pages (TIFF) or frames (GIF, WebP) an image file holds; 1 when it cannot tell.

    The package reads the first only, as OpenCV decodes it; a caller says so for the others.
    """
    if Path(path).suffix.lower() not in (".tif", ".tiff", ".gif", ".webp"):
        return 1
    import warnings

    from PIL import Image, UnidentifiedImageError

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            with Image.open(path) as image:
                return int(getattr(image, "n_frames", 1))
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
            return 1  # the decoder, which comes next, names what is wrong with the file


def exif_orientation(data: bytes) -> int:
    """The EXIF orientation (1-8) of an encoded image; 1 (as stored) when it has none or is not asked."""
    import io

    found = _header(io.BytesIO(data), data[:12])
    return 1 if found is None else found[1]


def upright_size(path: str | os.PathLike) -> tuple[int, int] | None:
    """(width, height) of an image file as :func:`decode_gray` gives it, from its header alone;
    None if unknown. A photo that its EXIF orientation turns a quarter (5-8) has them swapped."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(12)
    except OSError:
        return None
    found = _header(path, head)
    if found is None:
        return None
    (width, height), orientation = found
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)


def _header(source, head: bytes) -> tuple[tuple[int, int], int] | None:
    """(stored size, EXIF orientation 1-8) of the image that Pillow opens from ``source`` (a path
    or a file object) without decoding it; None when Pillow cannot. ``head``, the file's first
    bytes, says whether its EXIF orientation is asked (:func:`asks_exif`); else it is 1."""
    import warnings

    from PIL import Image, UnidentifiedImageError

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a damaged or huge header is for the decoder to judge
        try:
            with Image.open(source) as header:
                value = header.getexif().get(EXIF_ORIENTATION, 1) if asks_exif(head) else 1
                size = _stored_size(header, head)
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
            return None
    return size, (value if isinstance(value, int) and 1 <= value <= 8 else 1)


def _stored_size(header, head: bytes) -> tuple[int, int]:
    """(width, height) of the pixels as stored in the file that Pillow opened as ``header``.

    For a TIFF its ImageWidth and ImageLength tags: some Pillow versions report a TIFF's size
    already turned by its Orientation tag, which the caller turns again.
    """
    if is_tiff(head):
        tags = getattr(header, "tag_v2", {})
        width, height = tags.get(256), tags.get(257)
        if isinstance(width, int) and isinstance(height, int):
            return width, height
    return header.size


def upright(image: np.ndarray, orientation: int) -> np.ndarray:
    """``image`` (H, W) turned as its EXIF ``orientation`` says a viewer shows it.

    >>> upright(np.array([[1, 2], [3, 4]]), 6).tolist()  # 6: turned 90 degrees clockwise
    [[3, 1], [4, 2]]
    """
    turned = {
        2: lambda a: a[:, ::-1],
        3: lambda a: np.rot90(a, 2),
        4: lambda a: a[::-1],
        5: lambda a: a.T,
        6: lambda a: np.rot90(a, -1),
        7: lambda a: np.rot90(a.T, 2),
        8: lambda a: np.rot90(a, 1),
    }
    return np.ascontiguousarray(turned[orientation](image)) if orientation in turned else image


TOO_LARGE = (-1, -1)  # image_size of a header too large for Pillow even to report


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from an encoded image's header without decoding it; None if unknown."""
    import io
    import warnings

    from PIL import Image, UnidentifiedImageError

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a damaged header is for OpenCV to judge, not a warning
        try:
            with Image.open(io.BytesIO(data)) as header:  # reads the header only
                return header.size
        except Image.DecompressionBombError:
            return TOO_LARGE  # over Pillow's own limit (about 179 million pixels)
        except (UnidentifiedImageError, OSError, ValueError):
            return None  # OpenCV may still read it, or says it cannot


def to_uint8(image: np.ndarray) -> np.ndarray:
    """``image`` as uint8 0..255, whatever its depth.

    Floats up to 1.0 are fractions of white; other floats and integers up to 255 are taken as
    they are; larger integers are scaled by the bit depth of their maximum, so 12-bit data
    stored in 16 bits is not darkened to black. Booleans are black and white.

    >>> to_uint8(np.array([[0.0, 0.5, 1.0]])).tolist(), to_uint8(np.array([[0, 4095]], np.uint16)).tolist()
    ([[0, 128, 255]], [[0, 255]])
    """
    if image.dtype == np.uint8:
        return image
    if image.dtype == np.bool_:
        return np.where(image, 255, 0).astype(np.uint8)
    if np.issubdtype(image.dtype, np.floating):
        image = np.nan_to_num(image.astype(np.float64), nan=255.0, posinf=255.0, neginf=0.0)
        if image.size and image.max() <= 1.0:
            image = image * 255.0
        return np.clip(np.rint(image), 0, 255).astype(np.uint8)
    if np.issubdtype(image.dtype, np.integer):
        top = int(image.max()) if image.size else 0
        if top <= 255:
            return np.clip(image, 0, 255).astype(np.uint8)
        shift = top.bit_length() - 8
        return (np.clip(image, 0, None).astype(np.uint64) >> shift).astype(np.uint8)
    raise ImageReadError(f"unsupported image type {image.dtype}")


def to_gray(image: np.ndarray) -> np.ndarray:
    """Any image (H, W[, 1|3|4]) of any depth (:func:`to_uint8`) to uint8 grayscale (H, W)."""
    image = to_uint8(np.asarray(image))
    if image.ndim == 3 and image.shape[2] == 4:
        # transparent background becomes white paper
        alpha = image[:, :, 3:4].astype(np.float32) / 255.0
        rgb = image[:, :, :3].astype(np.float32) * alpha + 255.0 * (1.0 - alpha)
        image = cv2.cvtColor(rgb.astype(np.uint8), cv2.COLOR_BGR2GRAY)
    elif image.ndim == 3 and image.shape[2] == 3:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    elif image.ndim == 3:
        image = image[:, :, 0]
    if image.ndim != 2 or image.size == 0:
        raise ImageReadError(f"unsupported image shape {image.shape}")
    return image


def width_at_height(width: int, height: int, new_height: int) -> int:
    """The width of a ``width`` x ``height`` image scaled to ``new_height`` rows, keeping its aspect.

    >>> width_at_height(300, 128, 64)
    150
    """
    return max(1, round(width * new_height / max(height, 1)))


def resize_to_height(
    image: np.ndarray, height: int, max_width: int | None = None, soften: bool = True
) -> np.ndarray:
    """Scale (H, W) to (height, W') keeping the aspect ratio.

    When ``max_width`` is given and W' would exceed it, the image is squeezed
    horizontally to ``max_width`` rather than cut, so no ink is lost. With ``soften``,
    a two-level (bitonal) image is then softened (:func:`soften_edges`): models
    trained on scans and photographs, whose strokes have soft edges, misread
    hard black-and-white ones. A bitonal image saved as JPEG is made two-level
    again first (:func:`snap_near_two_level`).
    """
    h, w = image.shape[:2]
    new_w = width_at_height(w, h, height)
    if max_width is not None:
        new_w = min(new_w, max_width)
    bitonal = None
    if soften:
        image, bitonal = bitonal_form(image)
    interpolation = cv2.INTER_AREA if h > height else cv2.INTER_LINEAR
    resized = cv2.resize(image, (new_w, height), interpolation=interpolation)
    return soften_edges(resized) if bitonal else resized


def is_two_level(image: np.ndarray) -> bool:
    """True when the gray image (H, W) holds exactly two gray levels, as a bitonal scan does.

    >>> is_two_level(np.array([[0, 255], [255, 255]], np.uint8))
    True
    >>> is_two_level(np.array([[0, 128, 255]], np.uint8))
    False
    """
    if image.size == 0:
        return False
    low, high = image.min(), image.max()
    return bool(low != high and np.all((image == low) | (image == high)))


def is_near_two_level(image: np.ndarray) -> bool:
    """True when the gray image (H, W) is black and white but for a few pixels, as a bitonal scan
    saved as JPEG is: some pixels within ``NEAR_LEVEL`` of black, some within it of white, and at
    most ``MAX_MID_SHARE`` of the others (the ink) in between.

    Antialiased strokes of grayscale scans and photographs are mostly in between; JPEG's ringing
    around hard black-and-white edges stays near the two levels.

    >>> is_near_two_level(np.array([[0, 20, 240, 255]], np.uint8))
    True
    >>> is_near_two_level(np.array([[0, 128, 255, 255]], np.uint8))
    False
    """
    share = ink_between_share(image)
    return share is not None and share <= MAX_MID_SHARE


def ink_between_share(image: np.ndarray) -> float | None:
    """The share of the ink (the pixels not within ``NEAR_LEVEL`` of white) that lies between
    near-black and near-white; None when the gray image has no near-black or no near-white pixel.

    >>> ink_between_share(np.array([[0, 100, 250, 255]], np.uint8))
    0.5
    """
    _check_8_bit(image)
    if image.size == 0:
        return None
    counts = np.bincount(image.ravel(), minlength=256)
    dark = int(counts[:NEAR_LEVEL].sum())
    light = int(counts[256 - NEAR_LEVEL :].sum())
    between = image.size - dark - light
    return between / (between + dark) if dark and light else None


def bitonal_form(image: np.ndarray) -> tuple[np.ndarray, bool]:
    """(the image to resize, whether to soften it): a two-level image as it is, a near two-level
    one (:func:`is_near_two_level`) as black (0) and white (255) split at mid-gray, both to be
    softened; any other image as it is, not softened. Each test runs once.

    TypeError for an image of another depth than uint8 (:func:`to_gray` makes one): its levels
    are no 8-bit levels, and :func:`soften_edges` sums 8-bit pixels."""
    _check_8_bit(image)
    if is_two_level(image):
        return image, True
    if is_near_two_level(image):  # it has near-black and near-white pixels: two levels once snapped
        return np.where(image < 128, 0, 255).astype(np.uint8), True
    return image, False


def _check_8_bit(image: np.ndarray) -> None:
    """TypeError unless ``image`` holds 8-bit levels, which the two-level tests count and snap."""
    if image.dtype != np.uint8:
        raise TypeError(
            f"the two-level tests and softening take 8-bit gray images (uint8), got {image.dtype}: "
            "convert with to_gray (or resize with soften=False)"
        )


def snap_near_two_level(image: np.ndarray) -> np.ndarray:
    """A near two-level image (:func:`is_near_two_level`) as black (0) and white (255), split at
    mid-gray, so that it is softened as a bitonal image is; any other image as it is (two-level
    images too: their own two levels are kept)."""
    return bitonal_form(image)[0]


def soften_page(page: np.ndarray) -> np.ndarray:
    """A page softened as a whole when it holds two gray levels (or nearly: a bitonal scan saved as
    JPEG, :func:`snap_near_two_level`), else the page itself: its lines are cut from it, for reading
    (``PageReader``) and for training alike, so that they reach the model with the same pixels
    (more than two levels, so only resized after that)."""
    page, bitonal = bitonal_form(page)
    return soften_edges(page) if bitonal else page


BINOMIAL = np.array([1, 2, 1], np.float32)  # soften_edges' kernel, in each direction


def soften_edges(image: np.ndarray) -> np.ndarray:
    """The 3 x 3 binomial filter [1 2 1] x [1 2 1] / 16 on a uint8 (H, W) image, edge pixels repeated.

    Integer arithmetic, (sum + 8) >> 4, so that other readers (examples/node/shared/pixels.js) can
    give the very same pixels.

    >>> soften_edges(np.array([[0, 0, 255, 255]], np.uint8)).tolist()
    [[0, 64, 191, 255]]
    """
    # OpenCV's separable filter into int16 (the sums, at most 16 * 255 + 8, are exact there):
    # far less time and memory on a page than padded int32 copies in numpy
    total = cv2.sepFilter2D(image, cv2.CV_16S, BINOMIAL, BINOMIAL, delta=8, borderType=cv2.BORDER_REPLICATE)
    np.right_shift(total, 4, out=total)
    return total.astype(np.uint8)


def pad_right(image: np.ndarray, width: int, pad_value: int = PAD_VALUE) -> np.ndarray:
    """Pad (H, W) on the right to (H, width) with ``pad_value``."""
    h, w = image.shape[:2]
    if w > width:
        raise ValueError(f"image is {w} wide, more than the target width {width}")
    out = np.full((h, width), pad_value, dtype=image.dtype)
    out[:, :w] = image
    return out


def prepare(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resize to ``height`` (at most ``width`` wide) and pad to (height, width)."""
    return pad_right(resize_to_height(image, height, width), width)
