"""gunicorn settings for Pass (used by `make run` and the systemd unit in deploy/).

Environment overrides: PASS_BIND (default 127.0.0.1:8000), WEB_CONCURRENCY (workers),
GUNICORN_THREADS. Access log lines carry the path without the query string, so a wall's
kiosk key (?key=...) never reaches a log.
"""

import multiprocessing
import os

bind = os.environ.get("PASS_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", min(4, multiprocessing.cpu_count() * 2)))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
timeout = 30
graceful_timeout = 10
keepalive = 5
max_requests = 5000
max_requests_jitter = 500
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
# gunicorn 27's control socket (~/.gunicorn/gunicorn.ctl) is shared by every gunicorn a user
# runs; Pass does not use it.
control_socket_disable = True
# %(U)s is the path alone: no query string, so no kiosk key or search text in the log.
access_log_format = (
    'ts=%(t)s remote=%(h)s method=%(m)s path="%(U)s" status=%(s)s bytes=%(B)s ms=%(M)s'
)
