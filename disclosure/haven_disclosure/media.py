"""Images and PDFs, opened with well-kept libraries rather than trusted by their first bytes.

An image is decoded (Pillow) and re-encoded from its pixels alone: what is stored and what
leaves is the re-encoded image, without metadata, ancillary chunks, colour profiles or bytes
after its end, so nothing rides along behind a picture. A PDF is parsed (pypdf) and refused
when it can carry something besides its pages: embedded files, attachments, JavaScript,
launch or submit actions, forms; its text is extracted so the row limit reads it too.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PdfReadError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

# What an image may be re-encoded as: the format it arrived in, when it is one of these.
_REENCODE = {"PNG": ("PNG", {}), "JPEG": ("JPEG", {"quality": 95, "subsampling": 0})}
# Pixel layouts kept as they are; any other (palette, CMYK, 16-bit …) becomes RGB(A).
_KEPT_MODES = {"PNG": ("1", "L", "LA", "RGB", "RGBA"), "JPEG": ("L", "RGB")}
# PDF names that mean "more than pages": each is refused, with its plain meaning.
_PDF_ACTIVE = {
    "/EmbeddedFile": "an embedded file", "/EmbeddedFiles": "embedded files",
    "/FileAttachment": "a file attachment", "/JavaScript": "JavaScript", "/JS": "JavaScript",
    "/Launch": "an action that launches a program", "/AcroForm": "a form",
    "/XFA": "an XFA form", "/SubmitForm": "an action that submits a form",
    "/ImportData": "an action that imports data", "/RichMedia": "embedded media",
    "/GoToE": "a link into an embedded file", "/Sound": "an embedded sound",
    "/Movie": "an embedded movie",
}
# Text extraction is bounded: past this many pages the rest are left to the person reviewing.
MAX_PDF_PAGES_READ = 500


class Refused(Exception):
    """The content cannot leave as it is; the message says why in plain words."""


@dataclass(frozen=True)
class Reencoded:
    data: bytes
    format: str  # "PNG" | "JPEG"
    size: tuple[int, int]
    dropped: tuple[str, ...]  # what the original carried that the re-encoded image does not


def reencode_image(data: bytes, max_pixels: int) -> Reencoded:
    """The image decoded and written again from its pixels, or Refused."""
    try:
        with warnings.catch_warnings():
            # Pillow warns (rather than raising) between its limit and twice it: refuse both.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            # Checked from the header, before a single pixel is decoded: a small file may
            # claim billions of pixels (a decompression bomb).
            if width * height > max_pixels:
                raise Refused(f"the image claims {width}×{height} pixels; the limit is "
                              f"{max_pixels} pixels")
            if image.format not in _REENCODE:
                raise Refused(f"it is a {image.format} image; only PNG and JPEG images are "
                              "accepted: save the figure as PNG")
            dropped = _carried(image, data)
            image.load()
    except Refused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Refused(f"the image claims more pixels than can be decoded safely (a "
                      f"decompression bomb); the limit is {max_pixels} pixels") from None
    except UnidentifiedImageError:
        raise Refused("it does not decode as an image (no image format recognised)") from None
    except (OSError, SyntaxError, ValueError) as error:
        raise Refused(f"it does not decode as an image ({_short(error)})") from None
    fmt, options = _REENCODE[image.format]
    pixels = image if image.mode in _KEPT_MODES[fmt] else image.convert(
        "RGBA" if fmt == "PNG" and _has_alpha(image) else "RGB")
    # A fresh image from the raw pixels carries no info, profile or chunk of the original.
    clean = Image.frombytes(pixels.mode, pixels.size, pixels.tobytes())
    out = io.BytesIO()
    clean.save(out, fmt, **options)
    return Reencoded(out.getvalue(), fmt, (width, height), dropped)


def _carried(image: Image.Image, data: bytes) -> tuple[str, ...]:
    found = []
    if image.info.get("icc_profile"):
        found.append("a colour profile")
    if image.info.get("exif") or image.getexif():
        found.append("EXIF metadata")
    text = [k for k in image.info if k not in ("dpi", "gamma", "icc_profile", "exif", "jfif",
                                               "jfif_version", "jfif_unit", "jfif_density",
                                               "progressive", "progression", "transparency",
                                               "aspect", "srgb", "adobe", "adobe_transform")]
    if text:
        found.append(f"text or other chunks ({', '.join(sorted(map(str, text)))[:120]})")
    if getattr(image, "n_frames", 1) > 1:
        found.append(f"{image.n_frames - 1} animation frame(s) after the first")
    if image.format == "PNG" and not data.rstrip(b"\x00").endswith(b"IEND\xaeB`\x82"):
        found.append("bytes after the image's end")
    if image.format == "JPEG" and not data.endswith(b"\xff\xd9"):
        found.append("bytes after the image's end")
    return tuple(found)


def _has_alpha(image: Image.Image) -> bool:
    return "A" in image.getbands() or "transparency" in image.info


def _short(error: Exception) -> str:
    return str(error).splitlines()[0][:160] if str(error) else type(error).__name__


def inspect_pdf(data: bytes) -> str:
    """The PDF's text (its pages read in order), or Refused when it is more than pages."""
    try:
        # Lenient, as viewers are, about minor faults of real exporters; what does not parse
        # into pages is still refused.
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise Refused("it is encrypted, so its content cannot be checked; save it "
                          "without a password")
        active = _active_parts(reader)
        if active:
            raise Refused(f"it carries {', '.join(sorted(active))}; a released PDF may hold "
                          "pages only: export the figure or table again without them")
        pages = reader.pages
        if len(pages) == 0:
            raise Refused("it has no pages")
        texts = [page.extract_text() or "" for page in list(pages)[:MAX_PDF_PAGES_READ]]
    except Refused:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError,
            RecursionError, AssertionError, OSError) as error:
        raise Refused(f"it starts like a PDF but does not parse as one ({_short(error)})") from None
    return "\n".join(texts)


def _active_parts(reader: PdfReader) -> set[str]:
    """Every name anywhere in the document's object graph that means more than pages."""
    found: set[str] = set()
    seen: set[tuple[int, int]] = set()
    stack: list[object] = [reader.trailer]
    while stack:
        item = stack.pop()
        if isinstance(item, IndirectObject):
            key = (item.idnum, item.generation)
            if key in seen:
                continue
            seen.add(key)
            item = item.get_object()
        if isinstance(item, DictionaryObject):
            for name, value in item.items():
                if name in _PDF_ACTIVE:
                    found.add(_PDF_ACTIVE[name])
                if isinstance(value, NameObject) and value in _PDF_ACTIVE:
                    found.add(_PDF_ACTIVE[value])
                stack.append(value)
        elif isinstance(item, ArrayObject):
            stack.extend(item)
    return found
