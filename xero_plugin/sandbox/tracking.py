"""Tracking categories and options: the organisation's list (``GET /TrackingCategories``), the changes a
user makes in Xero's settings (through the control API), and the ``Tracking`` of an invoice or credit note
line, validated and stored with both IDs and both names.

Xero allows two active tracking categories per organisation and at most two on a line [SPEC LineItem];
archived categories and options stay on the documents that use them but cannot be chosen again.
"""

from __future__ import annotations

import uuid

from . import messages as m

MAX_ACTIVE = 2
MAX_NAME = 100  # [SPEC] TrackingCategory.Name / TrackingOption.Name maxLength
STATUSES = ("ACTIVE", "ARCHIVED", "DELETED")


class TrackingError(ValueError):
    """A change to the organisation's tracking that Xero refuses (its message)."""


def _same(a, b) -> bool:
    return (a or "").strip().lower() == (b or "").strip().lower()


def find_category(org, key: str):
    """By TrackingCategoryID, else by Name (case-insensitive); DELETED ones are gone."""
    cats = [c for c in org["tracking_categories"] if c["Status"] != "DELETED"]
    return (next((c for c in cats if c["TrackingCategoryID"] == (key or "").strip().lower()), None)
            or next((c for c in cats if _same(c["Name"], key)), None))


def find_option(cat, key: str):
    """An option of a category by TrackingOptionID, else by Name (case-insensitive)."""
    opts = [o for o in cat["Options"] if o["Status"] != "DELETED"]
    return (next((o for o in opts if o["TrackingOptionID"] == (key or "").strip().lower()), None)
            or next((o for o in opts if _same(o["Name"], key)), None))


def _check_name(name) -> str:
    name = (name or "").strip() if isinstance(name, str) else ""
    if not name:
        raise TrackingError("Name is required.")  # INFERRED
    if len(name) > MAX_NAME:
        raise TrackingError("Name must be %d characters or fewer." % MAX_NAME)  # INFERRED
    return name


def add_category(org, name: str, options=(), status: str = "ACTIVE") -> dict:
    """A new category with its options; raises TrackingError as Xero would refuse it."""
    name = _check_name(name)
    status = (status or "ACTIVE").upper()
    if status not in ("ACTIVE", "ARCHIVED"):
        raise TrackingError("Status must be ACTIVE or ARCHIVED.")  # INFERRED
    if find_category(org, name) is not None:
        raise TrackingError(m.MSG_UNIQUE_NAME)
    if status == "ACTIVE" and _active_count(org) >= MAX_ACTIVE:
        raise TrackingError(m.MSG_TRACKING_ACTIVE_LIMIT)
    cat = {"TrackingCategoryID": str(uuid.uuid4()), "Name": name, "Status": status, "Options": []}
    for option in options or ():
        add_option(cat, option)
    org["tracking_categories"].append(cat)
    return cat


def add_option(cat, name: str) -> dict:
    """A new ACTIVE option of a category."""
    name = _check_name(name)
    if find_option(cat, name) is not None:
        raise TrackingError(m.MSG_UNIQUE_NAME)
    opt = {"TrackingOptionID": str(uuid.uuid4()), "Name": name, "Status": "ACTIVE"}
    cat["Options"].append(opt)
    return opt


def set_category_status(org, cat, status: str) -> None:
    """Archive (or restore) a category; restoring one counts against the two active allowed."""
    status = status.upper()
    if status not in STATUSES:
        raise TrackingError("Status must be ACTIVE, ARCHIVED or DELETED.")  # INFERRED
    if status == "ACTIVE" and cat["Status"] != "ACTIVE" and _active_count(org) >= MAX_ACTIVE:
        raise TrackingError(m.MSG_TRACKING_ACTIVE_LIMIT)
    cat["Status"] = status


def set_option_status(opt, status: str) -> None:
    status = status.upper()
    if status not in STATUSES:
        raise TrackingError("Status must be ACTIVE, ARCHIVED or DELETED.")  # INFERRED
    opt["Status"] = status


def _active_count(org) -> int:
    return sum(1 for c in org["tracking_categories"] if c["Status"] == "ACTIVE")


# -- rendering -----------------------------------------------------------------------------


def render_category(cat, include_archived: bool = False) -> dict:
    """A TrackingCategory as ``GET /TrackingCategories`` sends it: its options (active only, unless
    ``include_archived``), each with its status flags."""
    wanted = ("ACTIVE", "ARCHIVED") if include_archived else ("ACTIVE",)
    return {"TrackingCategoryID": cat["TrackingCategoryID"], "Name": cat["Name"], "Status": cat["Status"],
            "Options": [{"TrackingOptionID": o["TrackingOptionID"], "Name": o["Name"], "Status": o["Status"],
                         "TrackingCategoryID": cat["TrackingCategoryID"],
                         "HasValidationErrors": False, "IsDeleted": o["Status"] == "DELETED",
                         "IsArchived": o["Status"] == "ARCHIVED", "IsActive": o["Status"] == "ACTIVE"}
                        for o in cat["Options"] if o["Status"] in wanted]}


def listing(org, include_archived: bool = False) -> list:
    """The categories ``GET /TrackingCategories`` shows (``includeArchived`` adds archived ones)."""
    wanted = ("ACTIVE", "ARCHIVED") if include_archived else ("ACTIVE",)
    return [c for c in org["tracking_categories"] if c["Status"] in wanted]


def category_row(cat) -> dict:
    """Fields visible to a ``where`` clause."""
    return {"TrackingCategoryID": cat["TrackingCategoryID"], "Name": cat["Name"], "Status": cat["Status"]}


# -- a line's Tracking -----------------------------------------------------------------------


def resolve_line(org, tracking, out) -> list:
    """Validate a line's ``Tracking`` ([{Name, Option}] or [{TrackingCategoryID, TrackingOptionID}], mixed
    as you like) against the organisation's active categories and options; refusals go to ``out.error``.
    Returns what the line keeps: each entry with TrackingCategoryID, TrackingOptionID, Name and Option."""
    if not tracking:
        return []
    if len(tracking) > MAX_ACTIVE:
        out.error(m.MSG_TRACKING_TOO_MANY)
    kept, seen = [], set()
    for entry in tracking:
        cat_id, cat_name = entry.get("TrackingCategoryID"), entry.get("Name")
        opt_id, opt_name = entry.get("TrackingOptionID"), entry.get("Option")
        cat = find_category(org, str(cat_id)) if cat_id else find_category(org, cat_name)
        if cat is None or cat["Status"] != "ACTIVE":
            out.error(m.MSG_TRACKING_CATEGORY_ID % cat_id if cat_id
                      else m.MSG_TRACKING_CATEGORY_NAME % (cat_name or ""))
            continue
        if cat["TrackingCategoryID"] in seen:
            out.error(m.MSG_TRACKING_REPEATED % cat["Name"])
            continue
        seen.add(cat["TrackingCategoryID"])
        opt = find_option(cat, str(opt_id)) if opt_id else find_option(cat, opt_name)
        if opt is None or opt["Status"] != "ACTIVE":
            out.error(m.MSG_TRACKING_OPTION_ID % (opt_id, cat["Name"]) if opt_id
                      else m.MSG_TRACKING_OPTION_NAME % (opt_name or "", cat["Name"]))
            continue
        kept.append({"TrackingCategoryID": cat["TrackingCategoryID"], "TrackingOptionID": opt["TrackingOptionID"],
                     "Name": cat["Name"], "Option": opt["Name"]})
    return kept
