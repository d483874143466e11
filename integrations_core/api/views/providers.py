"""GET /api/v1/providers/: the installed accounting plugins and what they can do."""

import dataclasses

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from ... import registry
from ..serializers import ProviderSerializer


class ProviderList(APIView):
    @extend_schema(responses=ProviderSerializer(many=True), summary="The installed providers and their capabilities",
                   description="Every accounting system this service can connect, with its display name and what it "
                               "supports: `supports_resync` (the Resync and Mark as Resolved actions) or, for Xero, "
                               "the name of its own manual re-sync.")
    def get(self, request):
        return Response(ProviderSerializer([dataclasses.asdict(c) for c in registry.capabilities()], many=True).data)
