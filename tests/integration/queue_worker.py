"""Running a served app's queued jobs once, as `ptbill worker` would, for the pages that hand work to a job."""

from __future__ import annotations

import threading

from fastapi import FastAPI


def work_the_queue(app: FastAPI) -> None:
    """Run the app's queued jobs once with a worker, in a thread of its own as `ptbill worker` runs it: this
    thread may hold a running event loop (Playwright's sync API, when the browser tests ran first)."""
    app.state.ptbill.jobs.close()
    worker = threading.Thread(
        target=app.state.ptbill.jobs.run_worker, kwargs={"queues": None, "concurrency": 1, "wait": False}
    )
    worker.start()
    worker.join()
