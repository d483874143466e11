"""Dev-only: the benchmarks and the chaos run (`make bench`, `make chaos`), kept out of the shipped packages.

A Django app (label `bench`) so that `manage.py bench_sync` and `manage.py chaos_sync` exist in a checkout;
config/settings.py installs it only when it can be imported. No module here is named test_*.py: pytest does
not collect any of it.
"""
