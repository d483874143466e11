"""The sections of `bench_sync`, by the key each writes in the JSON."""

from __future__ import annotations

from . import pushes
from .world import stub_world


def _trigger_latency(quick: bool) -> dict:
    world = stub_world()
    return pushes.trigger_latency(world.connection, world.product, samples=30 if quick else 200)


def _worker(quick: bool) -> dict:
    world = stub_world()
    return pushes.worker_throughput(world.connection, world.product, pushes=300 if quick else 2000)


def _coalescing(quick: bool) -> dict:
    world = stub_world()
    return pushes.coalescing(world.connection, world.product)


SECTIONS = {
    "trigger_latency_ms": _trigger_latency,
    "worker_pushes_per_s": _worker,
    "coalescing": _coalescing,
}
