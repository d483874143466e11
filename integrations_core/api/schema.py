"""OpenAPI post-processing: every operation documents the one error shape for the statuses it can answer."""


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


def add_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            responses = operation.setdefault("responses", {})
            for code, description in STATUSES.items():
                if code == "415" and method in ("get", "delete"):
                    continue
                entry = {"description": description, "content": {"application/json": {"schema": ERROR_REF}}}
                if code == "429":
                    entry["headers"] = {"Retry-After": {"schema": {"type": "integer"},
                                                        "description": "Seconds to wait."}}
                responses.setdefault(code, entry)
    return result


