"""Small HTML pieces shared by the model admins: state badges, outcome tables."""

from django.utils.html import format_html, format_html_join

COLOURS = {
    "connected": "#2e7d32", "synced": "#2e7d32", "ok": "#2e7d32", "done": "#2e7d32", "created": "#2e7d32",
    "updated": "#2e7d32", "paid": "#2e7d32", "queued": "#1565c0", "syncing": "#1565c0", "running": "#1565c0",
    "unchecked": "#616161", "retrying": "#ef6c00", "lapsing": "#ef6c00", "skipped_locked": "#6a1b9a",
    "locked": "#6a1b9a", "resolved": "#616161", "disconnected": "#616161", "expired": "#c62828",
    "failed": "#c62828", "refused": "#c62828",
}


def badge(state: str, text: str | None = None):
    colour = COLOURS.get(state, "#616161")
    return format_html('<span class="state-badge" data-state="{}" style="background:{};color:#fff;padding:1px 7px;'
                       'border-radius:9px;white-space:nowrap">{}</span>', state, colour, text or state)


def table(headers: list[str], rows: list[list]):
    head = format_html_join("", "<th>{}</th>", ((h,) for h in headers))
    body = format_html_join("", "<tr>{}</tr>", ((format_html_join("", "<td>{}</td>", ((c,) for c in row)),)
                                                 for row in rows))
    return format_html('<table class="integrations-table"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>',
                       head, body)
