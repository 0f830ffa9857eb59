"""`page_images` on POST /api/v1/ocr: each JSON page carries a JPEG of the page as it was
read, which its boxes lie on (what the web page draws a PDF's boxes over)."""

import base64
import io

import httpx
import numpy as np
import pytest
from PIL import Image

from testkit.born_digital import born_digital_pdf
from tests.api.test_http import assert_error
from tests.conftest import SAMPLES, encode

OCR = "/api/v1/ocr"
PDF = born_digital_pdf([[f"Page number {n}", "of a document in a few lines"] for n in range(1, 4)])


@pytest.fixture(scope="module")
def client(live_server):
    with httpx.Client(base_url=live_server, timeout=120) as c:
        yield c


def image_of(page: dict) -> Image.Image:
    prefix = "data:image/jpeg;base64,"
    assert page["image"].startswith(prefix)
    return Image.open(io.BytesIO(base64.b64decode(page["image"][len(prefix):])))


def ink_inside_and_outside(page: dict) -> tuple[float, float]:
    """How dark the page image is inside its lines' boxes and elsewhere, the boxes scaled
    from the page's width and height to the image's."""
    image = np.asarray(image_of(page).convert("L"), np.float32)
    scale_x, scale_y = image.shape[1] / page["width"], image.shape[0] / page["height"]
    inside = np.zeros(image.shape, bool)
    for line in page["lines"]:
        xs, ys = [p[0] for p in line["box"]], [p[1] for p in line["box"]]
        inside[int(min(ys) * scale_y):int(max(ys) * scale_y) + 1, int(min(xs) * scale_x):int(max(xs) * scale_x) + 1] \
            = True
    return float(255 - image[inside].mean()), float(255 - image[~inside].mean())


def test_each_page_of_a_pdf_comes_with_its_image_under_its_boxes(client):
    response = client.post(OCR, content=PDF, headers={"content-type": "application/pdf"},
                           params={"page_images": "true", "text_layer": "ignore"})
    assert response.status_code == 200, response.text
    pages = response.json()["pages"]
    assert [p["number"] for p in pages] == [1, 2, 3]
    for page in pages:
        image = image_of(page)
        assert image.format == "JPEG" and max(image.size) <= 1200
        assert abs(image.size[0] / image.size[1] - page["width"] / page["height"]) < 0.01
        inside, outside = ink_inside_and_outside(page)
        assert page["lines"] and inside > 5 * outside, (inside, outside)  # the text is where the boxes say
    assert image_of(pages[0]).tobytes() != image_of(pages[1]).tobytes()  # each page its own


def test_the_images_follow_the_pages_asked_for_in_a_form(client):
    response = client.post(OCR, files={"image": ("doc.pdf", PDF, "application/pdf")},
                           data={"page_images": "1", "pages": "2-3"})
    assert response.status_code == 200, response.text
    assert [(p["number"], "image" in p) for p in response.json()["pages"]] == [(2, True), (3, True)]


def test_a_tiff_gets_its_page_images_too(client):
    frames = [Image.open(SAMPLES / "receipt.png").convert("RGB"), Image.open(SAMPLES / "line.png").convert("RGB")]
    tiff = encode(frames[0], "TIFF", save_all=True, append_images=frames[1:])
    response = client.post(OCR, content=tiff, headers={"content-type": "image/tiff"}, params={"page_images": "true"})
    assert response.status_code == 200, response.text
    pages = response.json()["pages"]
    assert [image_of(p).size for p in pages] == [frame.size for frame in frames]  # small pages keep their size


def test_without_the_option_pages_carry_no_image(client):
    response = client.post(OCR, content=(SAMPLES / "line.png").read_bytes(), headers={"content-type": "image/png"})
    assert response.status_code == 200 and all("image" not in p for p in response.json()["pages"])


def test_a_bad_value_is_a_bad_parameter(client):
    response = client.post(OCR, files={"image": ("line.png", (SAMPLES / "line.png").read_bytes(), "image/png")},
                           data={"page_images": "perhaps"})
    assert_error(response, 422, "invalid_parameter")
