from django.db import models


class JobRun(models.Model):
    """When a scheduled job (the reminders cron) last completed, for the health endpoint.

    One row per job, updated in place: the table never grows.
    """

    job = models.CharField(max_length=64, unique=True)
    completed_at = models.DateTimeField()

    class Meta:
        default_permissions = ()

    def __str__(self):
        return self.job
