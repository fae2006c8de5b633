"""Attached images: checked, oriented, downscaled, re-encoded; every rejection names the file."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from core.conversation import ImageAttachment, image_link, user_message
from core.gateway.request import data_url, message_payload
from core.images import (
    ImageLimits,
    ImageRejected,
    check_count,
    find_image_links,
    prepare_image,
    prepare_images,
)


def image_bytes(size=(40, 30), fmt="PNG", color=(200, 10, 10), mode="RGB", **save) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, color).save(buffer, format=fmt, **save)
    return buffer.getvalue()


def open_result(attachment: ImageAttachment) -> Image.Image:
    return Image.open(io.BytesIO(attachment.data))


LIMITS = ImageLimits(max_bytes=200_000, max_count=2, long_side=2048, short_side=768)


def test_small_png_is_kept_as_png_with_its_size():
    result = prepare_image("chart.png", image_bytes(), LIMITS)
    assert (result.name, result.mime, result.width, result.height) == ("chart.png", "image/png", 40, 30)
    assert open_result(result).format == "PNG"


def test_photo_is_reencoded_as_jpeg_and_metadata_is_stripped():
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    source = image_bytes(fmt="JPEG", exif=exif.tobytes())
    assert b"SecretCam" in source
    result = prepare_image("photo.jpg", source, LIMITS)
    assert result.mime == "image/jpeg"
    assert b"SecretCam" not in result.data and not open_result(result).getexif()


def test_exif_orientation_is_applied():
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    result = prepare_image("turned.jpg", image_bytes((40, 20), "JPEG", exif=exif.tobytes()), LIMITS)
    assert (result.width, result.height) == (20, 40)


def test_large_image_is_downscaled_to_both_side_limits():
    big = image_bytes((4000, 1000), "PNG")
    result = prepare_image("wide.png", big, ImageLimits(max_bytes=0, long_side=2048, short_side=768))
    assert (result.width, result.height) == (2048, 512)
    tall = prepare_image("tall.png", image_bytes((1600, 2000)), ImageLimits(max_bytes=0))
    assert min(tall.width, tall.height) == 768 and open_result(tall).size == (768, 960)


def test_transparency_keeps_png():
    result = prepare_image("logo.webp", image_bytes(fmt="WEBP", mode="RGBA", color=(0, 0, 0, 0)), LIMITS)
    assert result.mime == "image/png" and open_result(result).mode == "RGBA"


def test_still_gif_is_accepted():
    assert prepare_image("still.gif", image_bytes(fmt="GIF"), LIMITS).mime == "image/png"


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("notes.png", b"this is plain text, not a picture", "notes.png is not an image"),
        ("cut.png", image_bytes((300, 300), color=(1, 2, 3))[:120], "cut.png is corrupt or truncated"),
        ("old.png", image_bytes(fmt="BMP"), "old.png is a BMP image"),
    ],
)
def test_files_that_are_not_usable_images_are_named(name, data, expected):
    with pytest.raises(ImageRejected, match=expected):
        prepare_image(name, data, LIMITS)


def test_animated_gif_is_rejected():
    frames = [Image.new("RGB", (10, 10), c) for c in ((255, 0, 0), (0, 255, 0))]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    with pytest.raises(ImageRejected, match=r"dance\.gif is animated"):
        prepare_image("dance.gif", buffer.getvalue(), LIMITS)


def test_oversize_file_names_the_limit():
    with pytest.raises(ImageRejected, match=r"huge\.png is 1\.0 MB; the limit is 195 KB"):
        prepare_image("huge.png", b"\0" * (1024 * 1024), LIMITS)


def test_too_many_images():
    check_count(2, LIMITS)
    with pytest.raises(ImageRejected, match="3 attached, at most 2"):
        check_count(3, LIMITS)


def test_first_bad_file_stops_the_batch():
    with pytest.raises(ImageRejected, match=r"b\.png"):
        prepare_images([("a.png", image_bytes()), ("b.png", b"nope")], LIMITS)


def test_content_parts_text_then_images_as_data_urls():
    image = prepare_image("a.png", image_bytes(), LIMITS)
    payload = message_payload(user_message("What is this?", images=[image]))
    assert payload["content"][0] == {"type": "text", "text": "What is this?"}
    url = payload["content"][1]["image_url"]["url"]
    assert payload["content"][1]["type"] == "image_url"
    assert url.startswith("data:image/png;base64,")
    assert base64.b64decode(url.split(",", 1)[1]) == image.data


def test_text_only_stays_a_plain_string():
    assert message_payload(user_message("Just text"))["content"] == "Just text"


def test_image_links_are_found_once_and_sent_as_urls():
    text = "see https://ex.com/a.png and (https://ex.com/b.JPG?x=1), again https://ex.com/a.png; not https://ex.com/page"
    links = find_image_links(text)
    assert links == ["https://ex.com/a.png", "https://ex.com/b.JPG?x=1"]
    assert data_url(image_link(links[0])) == "https://ex.com/a.png"
    assert find_image_links("http://insecure.com/a.png") == []
