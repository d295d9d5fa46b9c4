"""The process's Prometheus metrics that plumbing below the apps counts
(issue 19): requests, database and cache errors. The scrape endpoint and the
gauges read at scrape time (queues, jobs, notices) are lms/ops/.

Under gunicorn set PROMETHEUS_MULTIPROC_DIR (an empty folder per start):
prometheus_client then keeps each worker's values in files there and
``/metrics`` adds them up (lms/gunicorn_conf.py marks dead workers)."""

from prometheus_client import Counter, Histogram

REQUESTS = Counter(
    "anxun_http_requests", "HTTP requests answered, by view name, method and status class",
    ["view", "method", "status"],
)
LATENCY = Histogram(
    "anxun_http_request_duration_seconds", "Time to answer a request, by view name", ["view"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30, 60),
)
DB_ERRORS = Counter(
    "anxun_db_errors", "Database errors that reached the request handler, by kind "
    "(lock_timeout, statement_timeout, connection, other)", ["kind"],
)
DB_BUSY = Counter(
    "anxun_db_busy_responses", "503 answers because the database was locked or too slow, by request class", ["klass"],
)
CACHE_ERRORS = Counter("anxun_cache_errors", "Cache (Redis) calls that failed, by operation", ["op"])
CACHE_SKIPPED = Counter(
    "anxun_cache_skipped", "Cache calls not sent to Redis because its circuit breaker was open, by operation", ["op"],
)


def task_key(name: str) -> str:
    """The cache key of a periodic task's last run (written by lms/celery.py, read by lms/ops/collector.py)."""
    return f"anxun:metrics:task:{name}"
