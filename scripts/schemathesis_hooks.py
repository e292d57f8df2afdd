"""Schemathesis hooks for scripts/check-schema.sh (loaded by scripts/schemathesis.toml).

The `positive_data_acceptance` check sends requests that the document's schemas allow and
expects them accepted. A few rules of the api cannot be written in OpenAPI 3.0's schemas:
values only the api hands out, and rules over two parameters together. A request that breaks
one of them is refused with `400 invalid_parameter` naming the parameter, as documented in the
parameter's description; such a refusal is not a failure. Any other refusal of a schema-valid
request still fails the run, and every other check sees these requests as usual.
"""

import json

import schemathesis
from schemathesis.openapi.checks import RejectedPositiveData

# (method, path template or None for every operation, field named by the 400) -> why the
# schema cannot rule the request out.
DOCUMENTED_REFUSALS = {
    (None, None, "cursor"): "a cursor is opaque: only the `nextCursor` of a page is one",
    ("GET", "/api/v1/tickets", "zoneId"): "`zoneId` needs `eventId`: zones belong to an event's venue",
    ("GET", "/api/v1/events", "to"): "`to` must not be before `from`",
    ("GET", "/api/v1/events/{eventId}/seats", "zoneId"): "a zone number the event's venue does not have",
    ("POST", "/api/v1/holds/{holdId}/checkout", "paymentToken"): "a card token is one the gateway issued",
}


def _refusal(response):
    """The `field` of a `400 invalid_parameter` answer, or None."""
    if response.status_code != 400:
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        return None
    if not isinstance(body, dict) or body.get("code") != "invalid_parameter":
        return None
    return body.get("field")


@schemathesis.hook
def filter_failure(context, failure, case, response):
    """Keeps every failure but a schema-valid request refused by a rule listed above."""
    if not isinstance(failure, RejectedPositiveData):
        return True
    field = _refusal(response)
    if field is None:
        return True
    method, path = case.operation.method.upper(), case.operation.path
    for known_method, known_path, known_field in DOCUMENTED_REFUSALS:
        if known_field == field and known_method in (None, method) and known_path in (None, path):
            return False
    return True
