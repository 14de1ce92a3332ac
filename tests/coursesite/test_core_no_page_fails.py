"""Every page a person can reach by following links in the demo course answers, without a server error or a
link to a page the person may not open."""

import datetime as dt
import re
from urllib.parse import urljoin, urlparse

import pytest
from django.test import Client
from django.utils import timezone

from coursesite.demo import load_demo_course
from coursesite.models import User

LINK = re.compile(r'href="([^"#]+)"')
# Links that end the session or only download files are not pages to crawl.
SKIP = ("/accounts/logout", "/admin/", "/static/", "/api/docs", "/ical/")


def crawl(client: Client, start: str, limit: int) -> dict[str, int]:
    seen: dict[str, int] = {}
    queue = [start]
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        response = client.get(url)
        seen[url] = response.status_code
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        for href in LINK.findall(response.content.decode()):
            target = urljoin(url, href.replace("&amp;", "&"))
            parsed = urlparse(target)
            if parsed.scheme not in ("", "http", "https") or (parsed.netloc and parsed.netloc != "testserver"):
                continue  # data: (the empty icon), mailto: and other hosts are no pages of ours
            path = parsed.path + (f"?{parsed.query}" if parsed.query else "")
            if path.startswith(SKIP) or path in seen:
                continue
            queue.append(path)
    return seen


@pytest.mark.parametrize("username", ["student04", "student10", "student20", "ta1", "examiner"])
def test_every_page_reachable_by_links_opens_for_that_person(db, username) -> None:
    load_demo_course(start=timezone.localdate() - dt.timedelta(days=40))
    client = Client(raise_request_exception=False)
    client.force_login(User.objects.get(username=username))

    statuses = crawl(client, "/c/DD2424/", limit=400)

    failures = {url: code for url, code in statuses.items() if code >= 400}
    assert failures == {}
    assert len(statuses) > 10  # the crawl really went through the site
