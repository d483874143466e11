"""Re-sync runs: progress and each invoice's outcome, read-only."""

from dataclasses import asdict

from django.contrib import admin
from django.http import JsonResponse
from django.urls import path

from ..dashboard import runs_in_progress, run_progress
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

    def get_urls(self):
        progress = path("progress/", self.admin_site.admin_view(self.progress_view),
                        name="integrations_core_resyncrun_progress")
        return [progress, *super().get_urls()]

    def progress_view(self, request):
        """The runs in progress, and those asked for by ?id= (so a page sees its run finish), as JSON."""
        if not self.has_view_permission(request):
            return JsonResponse({"error": "You may not view re-sync runs."}, status=403)
        runs = {run.id: run for run in runs_in_progress()}
        asked = [int(i) for i in request.GET.getlist("id") if i.isdigit() and int(i) not in runs]
        for run in ResyncRun.objects.filter(pk__in=asked).select_related("supplier", "connection"):
            runs[run.pk] = run_progress(run)
        return JsonResponse({"runs": [asdict(run) for run in runs.values()]})

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
