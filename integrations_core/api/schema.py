"""OpenAPI post-processing: every operation documents the one error shape for the statuses it can answer, an
object's id in a path is the integer it is, and the answers carry OpenAPI links to what a client does next with
the ids in them (drf-spectacular has no way to declare links)."""


ERROR_REF = {"$ref": "#/components/schemas/Error"}
ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "code": {"type": "string", "description": "A machine-readable code (invalid_input, not_found, ...)."},
        "message": {"type": "string", "description": "What went wrong, in plain words."},
        "field_errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
    },
    "required": ["code", "message", "field_errors"],
}
STATUSES = {
    "400": "Bad input: field_errors says what to fix.",
    "401": "No or bad credentials.",
    "403": "Not allowed.",
    "404": "Not found (or not yours).",
    "405": "Method not allowed.",
    "406": "Not acceptable.",
    "409": "Refused in the current state (e.g. Resync for Xero, a re-sync already running).",
    "415": "Send JSON.",
    "429": "Too many requests: wait Retry-After seconds.",
}

# The viewsets' `lookup_value_regex` as drf-spectacular writes it (a string with a pattern): the id is a whole
# number of up to 18 digits, so the schema says integer (and a link's id, an integer in a body, fits it).
ID_PATTERN = "^[0-9]{1,18}$"
ID_SCHEMA = {"type": "integer", "minimum": 0, "maximum": 10**18 - 1}

# Where an answer's ids lead: operationId -> status -> link name -> (target operationId, its parameters[, the
# values its request body takes from the answer]).
_ITSELF, _ITS_INVOICE = {"id": "$response.body#/id"}, {"id": "$response.body#/invoice/id"}
_ITS_CONNECTION = {"id": "$response.body#/connection/id"}
_FIRST_SYNC, _INVOICE_FIRST_SYNC = {"id": "$response.body#/syncs/0/id"}, {"id": "$response.body#/invoice/syncs/0/id"}


def _invoice(ids: dict) -> dict:
    return {"GetInvoice": ("invoices_retrieve", ids), "DiagnoseInvoice": ("invoices_diagnosis_retrieve", ids),
            "MarkInvoicePaid": ("invoices_mark_paid_create", ids), "CancelInvoice": ("invoices_cancel_create", ids)}


def _connection(ids: dict) -> dict:
    return {"GetConnection": ("connections_retrieve", ids), "ConnectionBacklog": ("connections_backlog_list", ids),
            "ResyncConnection": ("connections_resync_create", ids),
            "DisconnectConnection": ("connections_disconnect_create", ids)}


def _sync(ids: dict) -> dict:
    return {"GetSync": ("syncs_retrieve", ids), "ResyncSync": ("syncs_resync_create", ids),
            "ResolveSync": ("syncs_resolve_create", ids)}


def _update(invoice: str) -> dict:
    """The storefront changing the order behind an invoice it sent, by its own id: the same supplier, number and
    lines (`invoice` is where the invoice is in the answer), the rest as it likes."""
    body = {"supplier": f"{invoice}/supplier", "number": f"{invoice}/number", "lines": f"{invoice}/lines"}
    return {"UpdateInvoice": ("invoices_external_update", {"external_id": f"{invoice}/external_id"}, body)}


def _first(path: str) -> dict:
    return {"id": f"$response.body#/{path}/0/id"}


LINKS = {
    "connections_list": {"200": _connection({"id": "$response.body#/0/id"})},
    "connections_create": {"201": _connection(_ITS_CONNECTION)},
    "connections_retrieve": {"200": _connection(_ITSELF)},
    "connections_disconnect_create": {"200": _connection(_ITSELF)},
    "connections_backlog_list": {"200": _invoice(_first("results"))},
    "connections_resync_create": {"202": {"GetResyncRun": ("resync_runs_retrieve", _ITSELF)}},
    "resync_runs_list": {"200": {"GetResyncRun": ("resync_runs_retrieve", _first("results"))}},
    "resync_runs_retrieve": {"200": {
        "GetConnection": ("connections_retrieve", {"id": "$response.body#/connection"}),
        "GetInvoice": ("invoices_retrieve", {"id": "$response.body#/outcomes/0/invoice_id"})}},
    "invoices_list": {"200": _invoice(_first("results"))},
    "invoices_external_update": {"200": {**_invoice(_ITS_INVOICE), **_sync(_INVOICE_FIRST_SYNC)},
                                 "201": {**_invoice(_ITS_INVOICE), **_sync(_INVOICE_FIRST_SYNC)}},
    "invoices_retrieve": {"200": {**_invoice(_ITSELF), **_sync(_FIRST_SYNC), **_update("$response.body#")}},
    "invoices_diagnosis_retrieve": {"200": {
        "GetConnection": ("connections_retrieve", {"id": "$response.body#/connections/0/connection_id"})}},
    "invoices_mark_paid_create": {"200": {**_invoice(_ITS_INVOICE), **_sync(_INVOICE_FIRST_SYNC),
                                          **_update("$response.body#/invoice")}},
    "invoices_cancel_create": {"200": _invoice(_ITS_INVOICE)},
    "syncs_retrieve": {"200": {**_sync(_ITSELF),
                               "GetConnection": ("connections_retrieve", {"id": "$response.body#/connection"})}},
    "syncs_resync_create": {"200": _sync(_ITSELF)},
    "syncs_resolve_create": {"200": _sync(_ITSELF)},
}


def add_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook (named for its first job): the error responses, integer ids, links."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    operation_ids = {operation.get("operationId") for item in result.get("paths", {}).values()
                     for operation in item.values()}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "path" and parameter.get("schema", {}).get("pattern") == ID_PATTERN:
                    parameter["schema"] = dict(ID_SCHEMA)
            responses = operation.setdefault("responses", {})
            for status, links in LINKS.get(operation.get("operationId"), {}).items():
                if status in responses:
                    responses[status]["links"] = {
                        name: {"operationId": link[0], "parameters": link[1],
                               **({"requestBody": link[2]} if len(link) > 2 else {})}
                        for name, link in links.items() if link[0] in operation_ids}
            for code, description in STATUSES.items():
                if code == "415" and method in ("get", "delete"):
                    continue
                entry = {"description": description, "content": {"application/json": {"schema": ERROR_REF}}}
                if code == "429":
                    entry["headers"] = {"Retry-After": {"schema": {"type": "integer"},
                                                        "description": "Seconds to wait."}}
                responses.setdefault(code, entry)
    return result
