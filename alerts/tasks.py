"""The worker's heartbeat: a task the scheduler queues and the worker runs, so a silent worker is noticed."""

from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from alerts.models import WorkerHeartbeat


@task()
def worker_heartbeat() -> None:
    WorkerHeartbeat.objects.update_or_create(pk=1, defaults={"seen_at": timezone.now()})


def ask_for_heartbeat() -> None:
    """Queue one heartbeat unless one is already waiting (a dead worker must not pile them up)."""
    waiting = DBTaskResult.objects.filter(task_path=worker_heartbeat.module_path, status="READY")
    if not waiting.exists():
        worker_heartbeat.enqueue()
