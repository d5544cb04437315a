"""The process's one background worker: assessments, emails and housekeeping.

Jobs are rows (db/jobs.py), announced on commit; the worker wakes on the announcement from
any process, or at its next poll, so nothing that queues work has to poke it.
"""

import logging
from dataclasses import dataclass

import asyncpg

from services.ai.provider import InterviewAI
from services.email.mailer import Mailer
from services.email.outbox import EMAIL_JOB, EmailDelivery
from services.interviews.assessments import ASSESSMENT_JOB, AssessmentGeneration
from services.jobs.housekeeping import (
    HOUSEKEEPING_JOB,
    Housekeeping,
    Retention,
    schedule_housekeeping,
)
from services.jobs.worker import JobWorker
from services.platform.notifications import NotificationHub
from services.platform.settings import Settings

logger = logging.getLogger(__name__)


@dataclass
class BackgroundJobs:
    pool: asyncpg.Pool
    settings: Settings
    worker: JobWorker

    async def start(self, hub: NotificationHub | None) -> None:
        """Schedule housekeeping and run the worker, unless JOB_WORKER turns it off here."""
        if not self.settings.job_worker:
            return
        async with self.pool.acquire() as conn:
            await schedule_housekeeping(conn, Retention.from_settings(self.settings))
        self.worker.start(hub)
        logger.info("job worker started", extra={"kinds": sorted(self.worker.handlers)})

    async def aclose(self) -> None:
        await self.worker.stop()


def build_background_jobs(
    settings: Settings, pool: asyncpg.Pool, *, ai: InterviewAI, mailer: Mailer
) -> BackgroundJobs:
    worker = JobWorker(
        pool,
        {
            ASSESSMENT_JOB: AssessmentGeneration(pool, ai),
            EMAIL_JOB: EmailDelivery(pool, mailer, sender=settings.email_from),
            HOUSEKEEPING_JOB: Housekeeping(pool, Retention.from_settings(settings)),
        },
        lease_seconds=settings.job_lease_seconds,
        poll_seconds=settings.job_poll_seconds,
    )
    return BackgroundJobs(pool=pool, settings=settings, worker=worker)
