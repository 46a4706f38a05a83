"""A large "Run now" is applied by the worker (`manage.py ledger_worker`), not in the web request."""

from django_tasks import task

from policies.models import Policy, PolicyRun
from policies.runs import apply_run


@task()
def apply_run_in_background(run_pk: int) -> None:
    run = PolicyRun.objects.get(pk=run_pk)
    apply_run(run, Policy.objects.filter(pk=run.policy_pk).first())
