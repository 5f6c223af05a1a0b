"""Celery tasks of the bonuses app: ids in, one service call out (DESIGN.md, "Celery")."""

from celery import shared_task

from bonuses import runs
from bonuses.models import Programme
from bonuses.services import programme_auto_invite


@shared_task(name="bonuses.compute_chunk", acks_late=True)
def compute_chunk(run_id: int) -> bool:
    """Compute whichever chunk of the run is pending next (any worker can take any chunk)."""
    return runs.run_chunk_compute_next(run_id=run_id)


@shared_task(name="bonuses.finalize_run", acks_late=True)
def finalize_run(run_id: int) -> None:
    runs.run_finalize(run_id=run_id)


@shared_task(name="bonuses.resume_runs", acks_late=True)
def resume_runs() -> int:
    """Queue again the pending chunks of runs whose worker died or whose message was lost."""
    run_ids = runs.runs_resume()
    for run_id in run_ids:
        compute_chunk.delay(run_id)
    return len(run_ids)


@shared_task(name="bonuses.refresh_estimates", acks_late=True)
def refresh_estimates() -> int:
    return runs.estimates_refresh()


@shared_task(name="bonuses.mark_runs_paid", acks_late=True)
def mark_runs_paid() -> int:
    return runs.runs_mark_paid()


@shared_task(name="bonuses.auto_invite", acks_late=True)
def auto_invite() -> int:
    """The programme rule "invite every eligible creator", applied daily."""
    return sum(programme_auto_invite(programme=p) for p in Programme.objects.filter(auto_invite=True))
