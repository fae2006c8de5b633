"""`GET {base_url}/models`: the gateway's model list, read with the key in use.

Read with the standard library rather than the `openai` client: the pickers ask for the list on
a page's first run, and no page's first run may load the client (about 0.6 s of imports; it is
loaded in the background after the page is drawn, see components.plumbing.config)."""

from __future__ import annotations

import http.client
import urllib.error
import urllib.request

from core.model_catalog import MAX_LIST_BYTES, ModelListUnavailable, parse_model_list

MODELS_PATH = "/models"

_STATUS_WORDS = {
    401: "the gateway refused the key for its model list (HTTP 401)",
    403: "the key may not read the gateway's model list (HTTP 403)",
    404: "the gateway has no model list (HTTP 404)",
}


def fetch_model_list(base_url: str, api_key: str, timeout: float) -> tuple[str, ...]:
    """The ids the gateway lists, in its order; ModelListUnavailable says why there are none.
    No message names the key."""
    request = urllib.request.Request(
        base_url.rstrip("/") + MODELS_PATH,
        headers={"Authorization": f"Bearer {api_key}", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read(MAX_LIST_BYTES + 1)
    except urllib.error.HTTPError as exc:
        exc.close()
        status = exc.code
        raise ModelListUnavailable(
            _STATUS_WORDS.get(status, f"the gateway answered HTTP {status} for its model list")
        ) from None
    except TimeoutError:
        raise ModelListUnavailable(f"the gateway did not send its model list within {timeout:g} s") from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise ModelListUnavailable(
                f"the gateway did not send its model list within {timeout:g} s"
            ) from None
        raise ModelListUnavailable("the gateway could not be reached for its model list") from None
    except (OSError, http.client.HTTPException, ValueError):
        raise ModelListUnavailable("the gateway's model list could not be read") from None
    return parse_model_list(raw)
