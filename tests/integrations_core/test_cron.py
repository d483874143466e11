"""The periodic jobs are registered with RQ's cron scheduler."""

from django_rq.cron import DjangoCronScheduler


def test_cron_registers_the_sweep_every_minute():
    scheduler = DjangoCronScheduler()
    scheduler.load_config_from_file("config.cron")
    jobs = {job.name: job for job in scheduler.get_jobs()}
    sweep = jobs["sweep-stuck-syncs"]
    assert sweep.func_name == "integrations_core.jobs.sweep_stuck_syncs"
    assert sweep.queue_name == "maintenance" and sweep.interval == 60


def test_cron_checks_connections_hourly():
    scheduler = DjangoCronScheduler()
    scheduler.load_config_from_file("config.cron")
    jobs = {job.name: job for job in scheduler.get_jobs()}
    assert jobs["check-connections"].func_name == "integrations_core.jobs.check_connections"
    assert jobs["check-connections"].cron == "17 * * * *"
