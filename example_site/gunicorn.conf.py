"""gunicorn for the example intranet: `gunicorn -c gunicorn.conf.py` from example_site/.

Every value can be changed from the environment (GUNICORN_BIND, GUNICORN_WORKERS, ...) so the
systemd unit in docs/deployment.md and `make loadtest` use this one file.
"""

import multiprocessing
import os

wsgi_app = "example_site.wsgi:application"
chdir = os.path.dirname(os.path.abspath(__file__))
raw_env = [f"DJANGO_SETTINGS_MODULE={os.environ.get('DJANGO_SETTINGS_MODULE', 'example_site.settings.production')}"]

# Loopback only: the reverse proxy (nginx, docs/deployment.md) is the only way in.
bind = [os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")]
# Synchronous workers: the pages are database-bound; the classic 2 x cores + 1.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
# A request longer than this is killed and logged; uploads are at most 10 MiB each.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Workers are replaced after about a thousand requests, not all at once (jitter).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "1000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "100"))
# The proxy's addresses whose X-Forwarded-Proto gunicorn believes (Django decides for itself
# through VSE_REFERRALS_PROXY_HOPS and SECURE_PROXY_SSL_HEADER, docs/security.md "Proxy hops").
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# The heartbeat files of workers in memory, not on a disk that may stall.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# Access log on standard output (journald): the path without its query string (%(U)s, not
# %(r)s), no referrer and no user agent. URLs carry no personal data, but filters and search
# words are a user's input and have no business in a log.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
proc_name = "vse-intranet"
# No control socket in the home folder (gunicorn 23+): systemd and signals manage the processes.
control_socket_disable = True
