"""Re-sync runs: progress and each invoice's outcome, read-only."""

from django.contrib import admin

from ..models import ResyncRun
from .display import badge, table


@admin.register(ResyncRun)
class ResyncRunAdmin(admin.ModelAdmin):
    list_display = ["id", "supplier", "connection", "state_badge", "progress", "requested_by", "created_at",
                    "finished_at"]
    list_filter = ["state", "connection__provider"]
    search_fields = ["supplier__name"]
    list_select_related = ["supplier", "connection", "requested_by"]
    fields = ["supplier", "connection", "state_badge", "progress", "error", "requested_by", "created_at",
              "started_at", "finished_at", "outcome_table"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="state")
    def state_badge(self, run):
        return badge(run.state)

    @admin.display(description="progress")
    def progress(self, run):
        return f"{run.done} of {run.total}"

    @admin.display(description="outcomes")
    def outcome_table(self, run):
        rows = [[o.get("number"), badge(o.get("result", ""), o.get("result", "").replace("_", " ")), o.get("message")]
                for o in run.outcomes]
        return table(["invoice", "outcome", "message"], rows) if rows else "None yet."
