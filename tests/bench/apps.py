from django.apps import AppConfig


class BenchConfig(AppConfig):
    """Dev-only app: the `bench_sync` and `chaos_sync` management commands. No models."""

    name = "tests.bench"
    label = "bench"
    verbose_name = "Benchmarks and chaos run (dev only)"
