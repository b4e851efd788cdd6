"""How busy the CPU was during the load: the whole machine's, and the share the load test's own
server processes (gunicorn's workers and the task worker) took of it, read with psutil (which
locust needs too). The database's and locust's time is in the machine's figure only: PostgreSQL
serves other work on the machine as well."""

import time

import psutil


class Meter:
    """`with Meter(processes) as used:` ... `used.result` once the block has ended:
    {"seconds", "cores", "machine_busy" (0-1 of all cores), "server_cpu_seconds", "server_busy"}."""

    def __init__(self, processes):
        self.processes = processes  # the Popen objects of gunicorn's master and the task worker
        self.result = {}

    def __enter__(self):
        self.started = time.monotonic()
        self.machine = psutil.cpu_times()
        self.server = self._server_seconds()
        return self

    def __exit__(self, *exc):
        seconds = time.monotonic() - self.started
        machine = psutil.cpu_times()
        total = sum(machine) - sum(self.machine)
        idle = (machine.idle + getattr(machine, "iowait", 0)) - (self.machine.idle + getattr(self.machine, "iowait", 0))
        cores = psutil.cpu_count() or 1
        server = self._server_seconds()
        # A worker that ended meanwhile (gunicorn's max_requests) takes its seconds with it: the
        # server's figure is then a little low, never high.
        used = sum(max(server.get(pid, 0) - before, 0) for pid, before in self.server.items())
        used += sum(after for pid, after in server.items() if pid not in self.server)
        self.result = {
            "seconds": seconds,
            "cores": cores,
            "machine_busy": (total - idle) / total if total else 0,
            "server_cpu_seconds": used,
            "server_busy": used / (seconds * cores) if seconds else 0,
        }
        return False

    def _server_seconds(self):
        """{pid: user + system CPU seconds} of the server's processes and their children."""
        seconds = {}
        for popen in self.processes:
            try:
                parent = psutil.Process(popen.pid)
                family = [parent, *parent.children(recursive=True)]
            except psutil.NoSuchProcess:
                continue
            for process in family:
                try:
                    times = process.cpu_times()
                except psutil.NoSuchProcess:
                    continue
                seconds[process.pid] = times.user + times.system
        return seconds
