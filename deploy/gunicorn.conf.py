"""gunicorn settings for Pass (used by `make run` and the systemd unit in deploy/).

Environment overrides: PASS_BIND (default 127.0.0.1:8000), WEB_CONCURRENCY (workers),
GUNICORN_THREADS (64, or 4 with SCREEN_UPDATES=poll), GUNICORN_MAX_REQUESTS (default 100000),
GUNICORN_ACCESS_LOG (a file; "-" for standard output, the default; empty for none). Access log
lines carry the path without the query string, so a wall's kiosk key (?key=...) never reaches
a log.
"""

import multiprocessing
import os

from gunicorn.glogging import Logger

bind = os.environ.get("PASS_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", min(4, multiprocessing.cpu_count() * 2)))
# Held polls (SCREEN_UPDATES=longpoll, the default) keep a thread each while they wait (a blocked
# thread costs no CPU): 4 x 64 holds 200 screens and the managers beside them (docs/deploy.md).
# Polls answered at once (SCREEN_UPDATES=poll) need no waiting threads, and fewer threads serve
# them faster under load: 4 x 4 (bench/RESULTS.md, "Wall polling").
_held = os.environ.get("SCREEN_UPDATES", "longpoll").strip().lower() != "poll"
threads = int(os.environ.get("GUNICORN_THREADS", "64" if _held else "4"))
worker_class = "gthread"
timeout = 30
graceful_timeout = 10
keepalive = 5
# A worker is replaced after this many requests (a guard against slow leaks). Wall screens poll
# all day: at 5,000 a busy host restarted a worker every few seconds under load, each restart
# costing a second of CPU to import Django again.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "100000"))
max_requests_jitter = max_requests // 10
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
# gunicorn 27's control socket (~/.gunicorn/gunicorn.ctl) is shared by every gunicorn a user
# runs; Pass does not use it.
control_socket_disable = True


class PassLogger(Logger):
    """gunicorn's logger, leaving unchanged wall polls (204 from /wall/poll/) out of the access
    log: 200 screens polling every 5 s would write 40 lines a second that say nothing, and the
    lines cost a tenth of a poll's time. Every other answer is logged, a wall's 200s and 403s
    included; each kiosk key's last use is in `manage.py wall_key list`."""

    def access(self, resp, req, environ, request_time) -> None:
        if resp.status_code == 204 and environ.get("PATH_INFO") == "/wall/poll/":
            return
        super().access(resp, req, environ, request_time)


logger_class = PassLogger
# %(U)s is the path alone: no query string, so no kiosk key or search text in the log.
access_log_format = (
    'ts=%(t)s remote=%(h)s method=%(m)s path="%(U)s" status=%(s)s bytes=%(B)s ms=%(M)s'
)


def post_worker_init(worker) -> None:
    """Once Django and the app are loaded, move everything alive into the garbage collector's
    permanent generation: the full collections that then run every few thousand requests no
    longer walk the whole framework, which showed as 20-50 ms stalls at p99 under load."""
    import gc

    gc.freeze()
