"""Images a user attaches: checked with Pillow, oriented, downscaled and re-encoded without
metadata before anything is sent; each problem is a message naming the file and the limit."""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from core.conversation import ImageAttachment
from core.settings import Settings

ACCEPTED_TYPES = ("png", "jpg", "jpeg", "webp", "gif")
ACCEPTED_FORMATS = frozenset({"PNG", "JPEG", "MPO", "WEBP", "GIF"})
MAX_PIXELS = 50_000_000
JPEG_QUALITY = 85
IMAGE_LINK = re.compile(
    r"https://[^\s<>()\"'\]]+?\.(?:png|jpe?g|webp|gif)(?:\?[^\s<>()\"'\]]*)?(?=$|[\s<>()\"'\],;!])",
    re.IGNORECASE,
)


class ImageRejected(ValueError):
    """An attachment that cannot be sent; the message says which file and what to do."""


@dataclass(frozen=True)
class ImageLimits:
    """Zero means no limit for any field."""

    max_bytes: int = 10 * 1024 * 1024
    max_count: int = 4
    long_side: int = 2048
    short_side: int = 768

    @classmethod
    def from_settings(cls, settings: Settings) -> ImageLimits:
        return cls(
            settings.image_max_bytes,
            settings.image_max_count,
            settings.image_long_side,
            settings.image_short_side,
        )


def check_count(count: int, limits: ImageLimits) -> None:
    if limits.max_count and count > limits.max_count:
        raise ImageRejected(
            f"Too many images: {count} attached, at most {limits.max_count} per message. "
            "Remove some and send again."
        )


def prepare_images(files: Iterable[tuple[str, bytes]], limits: ImageLimits) -> list[ImageAttachment]:
    """Every file checked and re-encoded, in order; the first problem raises ImageRejected."""
    return [prepare_image(name, data, limits) for name, data in files]


def prepare_image(name: str, data: bytes, limits: ImageLimits) -> ImageAttachment:
    if limits.max_bytes and len(data) > limits.max_bytes:
        raise ImageRejected(
            f"{name} is {format_bytes(len(data))}; the limit is {format_bytes(limits.max_bytes)} per image. "
            "Attach a smaller file."
        )
    image = _open_checked(name, data)
    lossless = _has_alpha(image) or image.format in ("PNG", "GIF")
    image = _downscaled(ImageOps.exif_transpose(image), limits)
    mime, encoded = _reencoded(image, lossless)
    return ImageAttachment(name=name, mime=mime, data=encoded, width=image.width, height=image.height)


def _open_checked(name: str, data: bytes) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            source_format = image.format or ""
            if source_format not in ACCEPTED_FORMATS:
                raise ImageRejected(
                    f"{name} is a {source_format or 'unknown'} image; attach PNG, JPEG, WEBP or GIF."
                )
            if image.width * image.height > MAX_PIXELS:
                raise ImageRejected(
                    f"{name} is {image.width}×{image.height} pixels; the limit is "
                    f"{MAX_PIXELS // 1_000_000} megapixels. Attach a smaller image."
                )
            if getattr(image, "n_frames", 1) > 1:
                raise ImageRejected(f"{name} is animated; attach a still image (one frame).")
            image.load()
    except ImageRejected:
        raise
    except UnidentifiedImageError as error:
        raise ImageRejected(
            f"{name} is not an image Pillow can read; attach PNG, JPEG, WEBP or GIF."
        ) from error
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as error:
        raise ImageRejected(f"{name} has too many pixels to open safely; attach a smaller image.") from error
    except (OSError, SyntaxError, ValueError) as error:
        raise ImageRejected(f"{name} is corrupt or truncated; save it again and re-attach it.") from error
    return image


def _downscaled(image: Image.Image, limits: ImageLimits) -> Image.Image:
    long_edge, short_edge = max(image.size), min(image.size)
    scale = 1.0
    if limits.long_side:
        scale = min(scale, limits.long_side / long_edge)
    if limits.short_side:
        scale = min(scale, limits.short_side / short_edge)
    if scale >= 1.0:
        return image
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS)


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)


def _reencoded(image: Image.Image, lossless: bool) -> tuple[str, bytes]:
    """PNG for transparency and PNG/GIF sources (screenshots, diagrams), JPEG for photos; saved
    from fresh pixel data, so no EXIF, ICC or text chunks survive."""
    target_mode = "RGBA" if _has_alpha(image) else ("L" if image.mode in ("L", "1") else "RGB")
    clean = Image.frombytes(target_mode, image.size, image.convert(target_mode).tobytes())
    buffer = io.BytesIO()
    if lossless:
        clean.save(buffer, format="PNG", optimize=True)
        return "image/png", buffer.getvalue()
    clean.save(buffer, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return "image/jpeg", buffer.getvalue()


def find_image_links(text: str) -> list[str]:
    """https links to images in a message, each once, in order."""
    return list(dict.fromkeys(match.group(0) for match in IMAGE_LINK.finditer(text)))


def format_bytes(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} bytes"
