"""server_guard.py's rules, on Streamlit's own /media route and in-memory store (served in-process
by Starlette's test client): a download leaves once, to the request that downloads it; a check
gets no bytes; images stay. And which requests count as made on this machine."""

from __future__ import annotations

from typing import cast

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient
from streamlit.runtime.media_file_storage import MediaFileKind
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.web.server.starlette.starlette_routes import create_media_routes

from core.request_origin import from_this_machine
from server_guard import GuardedApp, OneShotDownloads, metrics_path, wants_no_body, with_security_headers

EXPORT = b'{"title": "Holiday plans"}'
IMAGE = b"\x89PNG\r\n\x1a\n a thumbnail"


@pytest.fixture
def media() -> tuple[TestClient, MemoryMediaFileStorage]:
    """The /media route as serve.py builds it, over a real store."""
    store = MemoryMediaFileStorage("/media")
    routes = create_media_routes(cast("MemoryMediaFileStorage", OneShotDownloads(store)), None)
    app = GuardedApp(Starlette(routes=routes), "/_stcore/metrics")
    return TestClient(app), store


def test_a_download_leaves_once_to_the_request_that_downloads_it(media):
    client, store = media
    file_id = store.load_and_get_id(EXPORT, "application/json", MediaFileKind.DOWNLOADABLE, "holiday.json")
    url = f"/media/{file_id}.json"

    check = client.get(url, headers={"Sec-Fetch-Mode": "cors"})  # the page's fetch() before it downloads
    assert (check.status_code, check.content) == (200, b"")
    assert check.headers["content-disposition"] == 'attachment; filename="holiday.json"'
    assert client.head(url).status_code == 200

    download = client.get(url, headers={"Sec-Fetch-Mode": "navigate"})
    assert (download.status_code, download.content) == (200, EXPORT)
    assert download.headers["x-content-type-options"] == "nosniff"
    assert client.get(url).status_code == 404  # anyone after that
    assert client.get(url, headers={"Sec-Fetch-Mode": "cors"}).status_code == 404


def test_a_client_that_does_not_say_how_it_fetches_is_served_as_the_download(media):
    client, store = media
    file_id = store.load_and_get_id(EXPORT, "application/json", MediaFileKind.DOWNLOADABLE, "holiday.json")
    assert client.get(f"/media/{file_id}.json").content == EXPORT
    assert client.get(f"/media/{file_id}.json", headers={"Sec-Fetch-Mode": "navigate"}).status_code == 404


def test_images_are_served_as_often_as_the_page_loads_them(media):
    client, store = media
    file_id = store.load_and_get_id(IMAGE, "image/png", MediaFileKind.MEDIA)
    for mode in ("navigate", "no-cors", "navigate"):
        shown = client.get(f"/media/{file_id}.png", headers={"Sec-Fetch-Mode": mode})
        assert (shown.status_code, shown.content) == (200, IMAGE)


@pytest.mark.parametrize(
    ("method", "headers", "withheld"),
    [
        ("GET", {"sec-fetch-mode": "navigate"}, False),
        ("GET", {}, False),
        ("GET", {"sec-fetch-mode": "cors"}, True),
        ("GET", {"sec-fetch-mode": "no-cors"}, True),
        ("HEAD", {}, True),
    ],
)
def test_what_gets_no_download_body(method, headers, withheld):
    assert wants_no_body(method, headers) is withheld


def test_security_headers_replace_the_app_s_own_and_appear_once():
    headers = [(b"content-type", b"text/html"), (b"X-Frame-Options", b"SAMEORIGIN")]
    assert with_security_headers(headers) == [
        (b"content-type", b"text/html"),
        (b"x-frame-options", b"DENY"),
        (b"content-security-policy", b"frame-ancestors 'none'"),
        (b"x-content-type-options", b"nosniff"),
    ]


@pytest.mark.parametrize(
    ("client", "host", "headers", "local"),
    [
        ("127.0.0.1", "127.0.0.1:8501", ["accept", "user-agent"], True),
        ("::1", "[::1]:8501", [], True),
        ("127.0.0.1", "localhost:8501", [], True),
        ("127.0.0.1", "localhost", [], True),
        ("127.0.0.1", "chat.example.com", [], False),  # a page whose name was rebound to 127.0.0.1
        ("10.1.2.3", "127.0.0.1:8501", [], False),
        ("127.0.0.1", "127.0.0.1:8501", ["X-Forwarded-For"], False),
        ("127.0.0.1", "127.0.0.1:8501", ["Forwarded"], False),
        ("127.0.0.1", "127.0.0.1:8501", ["x-real-ip"], False),
        ("127.0.0.1", "127.0.0.1:8501", ["Via"], False),
        ("127.0.0.1", "127.0.0.1:8501", ["X-Forwarded-Port"], False),  # any X-Forwarded-*
        (None, "127.0.0.1:8501", [], False),
        ("127.0.0.1", None, [], False),
    ],
)
def test_which_requests_are_made_on_this_machine(client, host, headers, local):
    assert from_this_machine(client, host, headers) is local


def test_metrics_path_follows_the_base_url_path():
    assert metrics_path("") == "/_stcore/metrics"
    assert metrics_path("/team/chat/") == "/team/chat/_stcore/metrics"
