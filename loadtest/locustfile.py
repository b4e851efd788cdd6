"""The simulated users of `make loadtest` (locust, headless, one process, loopback only).

Points of contact sign in, browse the dashboard and the inbox, open their cases, post messages,
add a small file, and accept referrals, two people of one organisation racing on each.
Public users browse the directory, its map data and the HSDS API.

Every message and file the server acknowledged (its redirect back to the case) is recorded with
a token of its own; the record is written when the run stops, for `loadtest.checks`. The plan
(`loadtest.plan`) comes in LOADTEST_PLAN, the record goes to LOADTEST_RECORD.
"""

import base64
import itertools
import json
import os
import uuid

from gevent.event import Event
from locust import HttpUser, between, events, task

PLAN = json.loads(open(os.environ["LOADTEST_PLAN"], encoding="utf-8").read())
PDF = base64.b64decode(PLAN["pdf"])
RECORD = {"messages": [], "files": [], "accepts": []}
# Each point of contact of the run takes the next account: pair by pair, primary then deputy.
ACCOUNTS = itertools.cycle([(pair, index) for pair in PLAN["pairs"] for index in range(len(pair["users"]))])
# The two accounts of a pair meet here before each accept: (organisation, case) -> Event.
MEETINGS = {}
CASES = "/admin/referrals/"
# Seconds each simulated person waits between two visits (LOADTEST_THINK, "5,15" from
# `loadtest.run`): the time to read what the last one showed, see loadtest/run.py.
THINK_SECONDS = tuple(float(value) for value in os.environ["LOADTEST_THINK"].split(","))


@events.test_stop.add_listener
def write_record(**_kwargs):
    with open(os.environ["LOADTEST_RECORD"], "w", encoding="utf-8") as handle:
        json.dump(RECORD, handle)


def contentstate(text):
    """A message body as the rich-text editor posts it."""
    block = {"key": "a1b2c", "text": text, "type": "unstyled", "depth": 0, "inlineStyleRanges": [], "entityRanges": []}
    return json.dumps({"blocks": [block], "entityMap": {}})


class PointOfContact(HttpUser):
    weight = 3
    wait_time = between(*THINK_SECONDS)

    def on_start(self):
        self.pair, self.index = next(ACCOUNTS)
        self.username = self.pair["users"][self.index]
        self.next_race = 0
        self.client.get("/admin/login/", name="sign-in page")
        with self.client.post(
            "/admin/login/",
            {"username": self.username, "password": PLAN["password"], "csrfmiddlewaretoken": self.csrf()},
            allow_redirects=False,
            name="sign in",
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"sign-in refused ({response.status_code})")
        # Signed in, a person first reads the page they land on: the fifty do not all click in
        # the same few seconds in which they were started.
        self.wait()

    def csrf(self):
        return self.client.cookies.get("csrftoken", "")

    def post_to_case(self, case, path, name, **kwargs):
        """POST to a case URL; True when the server acknowledged it (a redirect to the case)."""
        with self.client.post(
            f"{CASES}{case}/{path}",
            headers={"X-CSRFToken": self.csrf()},
            allow_redirects=False,
            name=name,
            catch_response=True,
            **kwargs,
        ) as response:
            if response.status_code == 302 and f"{CASES}{case}/" in response.headers.get("Location", ""):
                return True
            response.failure(f"not acknowledged ({response.status_code})")
            return False

    def page(self, path, name):
        """GET a page of the admin; a redirect to the sign-in page counts as an error."""
        with self.client.get(path, name=name, catch_response=True) as response:
            if response.ok and "/admin/login/" in response.url:
                response.failure("signed out")

    def open_case(self):
        case = self.pair["open_cases"][self.index % len(self.pair["open_cases"])]
        self.page(f"{CASES}{case}/", "case page")
        return case

    @task(4)
    def inbox(self):
        self.page(CASES, "inbox")

    @task(2)
    def dashboard(self):
        self.page("/admin/", "dashboard (inbox panel)")

    @task(3)
    def case_page(self):
        self.open_case()

    @task(2)
    def message(self):
        case = self.open_case()
        token = uuid.uuid4().hex
        if self.post_to_case(case, "messages/", "post a message", data={"body": contentstate(f"Load test {token}")}):
            RECORD["messages"].append({"case": case, "token": token})

    @task(1)
    def upload(self):
        case = self.open_case()
        name = f"load-{uuid.uuid4().hex}.pdf"
        files = {"files": (name, PDF, "application/pdf")}
        if self.post_to_case(case, "files/", "add a file", files=files):
            RECORD["files"].append({"case": case, "name": name})

    @task(1)
    def accept(self):
        """Accept the pair's next referral at the moment the other of the pair does."""
        if self.next_race >= len(self.pair["race_cases"]):
            return
        case = self.pair["race_cases"][self.next_race]
        self.next_race += 1
        self.page(f"{CASES}{case}/", "case page")
        key = (self.pair["organisation"], case)
        if key in MEETINGS:
            MEETINGS[key].set()  # the other of the pair is waiting: both post now
        else:
            MEETINGS[key] = Event()
            MEETINGS[key].wait(timeout=3)
        acknowledged = self.post_to_case(case, "do/accept/", "accept (raced)", data={})
        RECORD["accepts"].append({"case": case, "user": self.username, "acknowledged": acknowledged})


class PublicVisitor(HttpUser):
    weight = 2
    wait_time = between(*THINK_SECONDS)

    @task(3)
    def directory(self):
        self.client.get(PLAN["directory"], name="directory")

    @task(1)
    def directory_page_two(self):
        self.client.get(f"{PLAN['directory']}?page=2", name="directory (page 2)")

    @task(2)
    def map_data(self):
        self.client.get(PLAN["map"], name="map data")

    @task(2)
    def hsds(self):
        self.client.get(PLAN["hsds"], name="HSDS services")
