"""Offline entry in a real headless Chromium with the network switched off (docs/offline.md): the
village director's worklist opens without network, a registration and two checks made offline
wait on the phone and are sent exactly once when the network returns, a send cut off after the
server committed is still once, a clash with the supervisor's change goes to the supervisor's
queue, another user on the same browser sees nothing of the first, and logging out wipes the
phone. Screenshots at 390 px go to test-artifacts/screenshots/."""

import datetime
import re

import pytest

from cases.checks.models import Check
from cases.children.models import Child, Guardian
from cases.children.services import guardian_update
from cases.sync.models import EditConflict
from tests.factories import ChildFactory, GuardianFactory, MembershipFactory, UserFactory, id_number_for
from welfare.models import ClientReceipt
from welfare.roles import Role

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

APP = "/cases/sync/app/"


def _queue_states(page) -> list[str]:
    return page.eval_on_selector_all("main .queue-item", "els => els.map(e => e.className.replace('queue-item ', ''))")


def _wait_states(page, wanted: str, count: int) -> None:
    page.wait_for_function(
        "([wanted, count]) => document.querySelectorAll('main .queue-item.state-' + wanted).length >= count",
        arg=[wanted, count],
        timeout=20_000,
    )


def _open_app(session, route: str):
    page = session.page
    page.goto(session.base_url + APP + "#/" + route)
    page.wait_for_function("document.body.dataset.ready === '1'")
    return page


def _stored(page) -> dict:
    return page.evaluate(
        """async () => ({
            databases: (await indexedDB.databases()).map(d => d.name),
            caches: await caches.keys(),
            workers: (await navigator.serviceWorker.getRegistrations()).length,
        })"""
    )


def test_a_director_works_offline_and_everything_is_sent_exactly_once(open_session, regions, village_director, township_supervisor):
    known = ChildFactory(region=regions.village, name="张小军", birth_date=datetime.date(2015, 3, 14), check_state="overdue",
                         next_check_due=datetime.date.today() - datetime.timedelta(days=3))
    MembershipFactory(child=known, category="left_behind")
    grandma = GuardianFactory(child=known, name="张奶奶", relation="grandparent", phone="13800000001")
    colleague = UserFactory(username="director_b", role=Role.VILLAGE_DIRECTOR, region=regions.village_b)
    ChildFactory(region=regions.village_b, name="李四")
    new_number = id_number_for(regions.village, datetime.date(2016, 7, 9), "F")

    director = open_session()
    director.context.set_default_timeout(30_000)  # a busy machine: a service worker installs
    director.login("director")
    # Online once: the service worker installs and the phone keeps its village.
    page = _open_app(director, "worklist")
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=20_000)
    page.wait_for_selector("main >> text=张小军")
    assert known.id_number not in page.content()  # the phone never gets a full identity number

    # Offline: the server's worklist address still opens, answered by the app from the phone.
    director.context.set_offline(True)
    page.goto(director.base_url + "/cases/worklist/")
    page.wait_for_function("document.body.dataset.ready === '1'")
    assert "张小军" in page.inner_text("main")
    assert page.inner_text("#net") == "离线"

    # Register a child with a guardian and a category, offline; the number is checked on the phone.
    page.evaluate("location.hash = '#/register'")
    page.fill("[name=name]", "王小花")
    page.fill("[name=id_number]", new_number[:17] + ("0" if new_number[17] != "0" else "1"))
    page.locator("#register-form button[type=submit]").click()
    assert "校验位" in page.inner_text("[data-field=id_number] .error")  # the checksum message, as on the server's form
    page.fill("[name=id_number]", new_number)
    page.check("input[name=categories][value=left_behind]")
    page.fill("[name=guardians-0-name]", "王奶奶")
    page.select_option("[name=guardians-0-relation]", "grandparent")
    page.fill("[name=guardians-0-phone]", "13800000002")
    page.locator("#register-form button[type=submit]").click()
    page.wait_for_selector("main .queue-item")

    # Two checks: one of a child on the server, one of the child just registered on the phone.
    page.evaluate(f"location.hash = '#/check/{known.id}'")
    page.fill("[name=caregiver]", "张奶奶")
    page.locator("#check-form button[type=submit]").click()
    _wait_states(page, "waiting", 2)  # the app goes back to the worklist once the check is queued
    page.evaluate("location.hash = '#/children'")
    page.locator("main a[href^='#/child/q:']").click()
    page.locator("main a[href^='#/check/q:']").click()
    page.locator("#check-form button[type=submit]").click()
    _wait_states(page, "waiting", 3)
    assert page.locator("main .queue-item .badge").all_inner_texts() == ["待上传"] * 3
    director.shoot("offline-01-worklist-waiting")
    assert not Child.objects.filter(name="王小花").exists()

    # Online again: sent in order, each exactly once, and the page says so.
    director.context.set_offline(False)
    _wait_states(page, "sent", 3)
    assert set(page.locator("main .queue-item .badge").all_inner_texts()) == {"已上传"}
    new_child = Child.objects.get(name="王小花")
    assert new_child.id_number == new_number and new_child.guardians.get().name == "王奶奶"
    assert Check.objects.filter(child=known).count() == 1
    assert Check.objects.filter(child=new_child).count() == 1
    director.shoot("offline-02-worklist-sent")

    # A send cut off after the server committed (the answer never reaches the phone), then the
    # page closed: sent again from a new page, the check is still recorded once.
    director.context.set_offline(True)
    page.evaluate(f"location.hash = '#/check/{known.id}'")
    page.select_option("[name=kind]", "safety")
    page.locator("#check-form button[type=submit]").click()
    _wait_states(page, "waiting", 1)

    def commit_then_cut(route):
        route.fetch()  # the server commits
        route.abort()  # the phone never hears back

    page.route("**/api/checks/", commit_then_cut)
    director.context.set_offline(False)
    page.wait_for_function("document.querySelector('main .queue-item.state-waiting .message')", timeout=20_000)
    assert Check.objects.filter(child=known, kind="safety").count() == 1
    page.close()
    page = director.context.new_page()
    director.page = page
    page = _open_app(director, "worklist")
    page.wait_for_function("!document.querySelector('main .queue-item.state-waiting')", timeout=30_000)
    assert Check.objects.filter(child=known, kind="safety").count() == 1
    assert ClientReceipt.objects.filter(user=village_director).count() == 4

    # Same field, two changes: the director changes the grandmother's phone offline while the
    # supervisor changes it on the server; the supervisor's stays, the clash goes to the queue.
    page.wait_for_selector("main >> text=张小军")
    director.context.set_offline(True)
    page.evaluate(f"location.hash = '#/guardian/{known.id}/{grandma.id}'")
    page.fill("#guardian-form [name=phone]", "13900000009")
    page.locator("#guardian-form button[type=submit]").click()
    _wait_states(page, "waiting", 1)
    guardian_update(by=township_supervisor, guardian=Guardian.objects.get(id=grandma.id), phone="13700000003")
    director.context.set_offline(False)
    _wait_states(page, "conflict", 1)
    assert "待督导员处理" in page.inner_text("main .queue-item.state-conflict")
    assert Guardian.objects.get(id=grandma.id).phone == "13700000003"
    conflict = EditConflict.objects.get()
    assert (conflict.current_value, conflict.proposed_value) == ("13700000003", "13900000009")

    supervisor = open_session()
    supervisor.context.set_default_timeout(30_000)
    queue = supervisor.login("supervisor")
    queue = supervisor.goto("/cases/sync/conflicts/")
    assert "13700000003" in queue.inner_text("main .current") and "13900000009" in queue.inner_text("main .proposed")
    supervisor.shoot("offline-03-conflict-queue")

    # Another user on the same browser (the director's session ran out, no logout): nothing of
    # the director's village or queue is shown to them.
    director.context.clear_cookies()
    director.login("director_b")
    page = _open_app(director, "worklist")
    page.wait_for_function("document.querySelector('main') && !document.querySelector('main .queue-item')")
    page.evaluate("location.hash = '#/children'")
    page.wait_for_selector("main >> text=李四")
    text = page.inner_text("main")
    assert "张小军" not in text and "王小花" not in text
    assert colleague.id

    # Logging out wipes the phone: IndexedDB, the caches and the service worker.
    page = director.goto("/")
    page.locator("form[data-logout] button").click()
    page.wait_for_url(re.compile(r"/login/"))
    stored = _stored(page)
    assert "welfare-offline" not in stored["databases"]
    assert stored["caches"] == []
    assert stored["workers"] == 0
