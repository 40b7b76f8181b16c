"""The generated Python bindings against the real native library and a real
fieldgrid-server: encrypted store, registration and approval, a patrol with a
batch of fixes, an incident with a photo, a household through the form, sync
with progress, and the errors an app branches on.

Run by bindings/tests/run-foreign.sh, which starts the server and sets
FIELDGRID_URL, FIELDGRID_ADMIN_TOKEN and PYTHONPATH (the generated module).
"""

import json
import os
import struct
import sys
import tempfile
import time
import traceback
import urllib.request
import zlib

import fieldgrid_ffi as fg

URL = os.environ["FIELDGRID_URL"]
ADMIN = os.environ["FIELDGRID_ADMIN_TOKEN"]
GRID = "320722104201001"
WORKER = "worker-" + GRID
KEY = b"python-test-key-0123456789abcdef"


def png(width=320, height=240):
    """A real PNG (gradient) made with the standard library."""
    raw = b"".join(b"\x00" + b"".join(bytes((x % 256, y % 256, 90)) for x in range(width)) for y in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def admin_post(path, body):
    req = urllib.request.Request(URL + path, data=json.dumps(body).encode(), method="POST",
                                 headers={"Authorization": "Bearer " + ADMIN, "Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return r.status


def id_number(n):
    body = "32072219790312%03d" % n
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    s = sum(int(c) * w for c, w in zip(body, weights))
    return body + "10X98765432"[s % 11]


def text(key, value):
    return fg.FieldEntry(key=key, value=fg.FieldValueInfo.TEXT(value=value))


def integer(key, value):
    return fg.FieldEntry(key=key, value=fg.FieldValueInfo.INT(value=value))


class Progress(fg.SyncListener):
    def __init__(self):
        self.rounds = []

    def on_progress(self, progress):
        self.rounds.append(progress)


STATE = {}


async def enrol(store, name, staff):
    reg = await store.register(URL, name, id_number(len(name)), "13905180000")
    assert admin_post("/v1/admin/registrations/%s/approve" % reg.registration_id, {"staff_id": staff}) == 204
    status = await store.registration_status(URL, reg.token, reg.registration_id)
    assert isinstance(status, fg.RegistrationStatus.APPROVED) and status.staff_id == staff, status
    store.sign_in(staff)
    return reg.token


def test_encrypted_store_and_wrong_key():
    d = tempfile.mkdtemp()
    path = os.path.join(d, "phone.sqlite")
    store = fg.FieldGrid.open(path, KEY)
    assert store.is_encrypted()
    del store
    try:
        fg.FieldGrid.open(path, b"another-key-0123456789abcdef!!!!")
        raise AssertionError("a wrong key opened the store")
    except fg.ApiError.WrongKey as e:
        assert "key" in str(e)
    STATE["path"] = path


async def test_register_patrol_incident_household_and_sync():
    store = fg.FieldGrid.open(STATE["path"], KEY)
    token = await enrol(store, "py-worker", WORKER)
    first = Progress()
    await store.sync(URL, token, first)
    assert first.rounds, "progress reported"
    assert GRID in [g.code for g in store.grids_of(WORKER)]

    # A patrol with one batch of 600 fixes (10 minutes at 1 Hz, walking north).
    patrol = store.start_patrol(GRID, "日常巡查", fg.TravelModeInfo.WALKING)
    t0 = int(time.time() * 1000) - 600_000
    fixes = [fg.FixInput(time_ms=t0 + i * 1000, lat=34.5630 + i * 0.00001, lon=118.7400, accuracy_m=5.0,
                         altitude_m=None, speed_mps=1.2, bearing_deg=0.0, provider=fg.ProviderInfo.GPS, mock=False)
             for i in range(600)]
    got = store.ingest_fixes(patrol, fixes)
    assert got.accepted == 600 and got.rejected == 0, got
    assert store.stop_patrol(patrol).fixes == 600

    # An incident with a real photo.
    photo = await store.add_photo(png())
    assert photo.width > 0 and len(photo.hash) == 64
    incident = store.report_incident(fg.NewIncident(grid_code=GRID, category="urban.street.stalls",
                                                    description="占道经营，影响通行", lat=34.5632, lon=118.7401,
                                                    photos=[photo.hash]))
    assert store.incident(incident).photos == [photo.hash]
    assert store.photo_bytes(photo.hash, True)[:2] == b"\xff\xd8"

    # A household through the form: a draft with problems, wrong values refused.
    out = store.new_household(GRID, [text("basic.head_name", "钱学文"), text("basic.address", "安峰镇山口村2组7号"),
                                     integer("basic.member_count", 3)])
    assert not out.complete and all(not p.invalid for p in out.problems)
    try:
        store.save_fields(out.id, [text("basic.phone", "12345")])
        raise AssertionError("a wrong phone was saved")
    except fg.ApiError.InvalidFields as e:
        assert [p.field for p in e.problems] == ["basic.phone"]
    store.save_fields(out.id, [text("basic.phone", "13905187777")])
    assert [r.id for r in store.find_residents("13905187777", [], 5)] == [out.id]
    store.record_visit(out.id, fg.VisitInput(purpose="routine", notes="初次走访", lat=None, lon=None, photos=[],
                                             follow_up=False))
    assert len(store.visits_of(out.id)) == 1
    assert store.resolve_door_plate(store.door_plate_payload(out.id)) == out.id
    form = json.loads(store.form_json(fg.FormKind.PERSON))
    assert len(form["modules"]) == 11

    progress = Progress()
    done = await store.sync(URL, token, progress)
    assert done.pushed >= 3 and done.track_chunks >= 1 and done.photos >= 1, done
    status = store.sync_status()
    assert (status.pending_records, status.pending_track_chunks, status.pending_photos) == (0, 0, 0), status
    STATE["household"] = out.id
    STATE["token"] = token


async def test_a_second_phone_receives_the_household():
    d = tempfile.mkdtemp()
    chief = fg.FieldGrid.open(os.path.join(d, "chief.sqlite"), None)
    token = await enrol(chief, "py-chief", "chief-" + GRID)
    await chief.sync(URL, token, None)
    house = chief.household(STATE["household"])
    assert house.head_name == "钱学文" and house.visits == 1


async def test_errors_an_app_branches_on():
    d = tempfile.mkdtemp()
    store = fg.FieldGrid.open(os.path.join(d, "x.sqlite"), None)
    try:
        store.new_household(GRID, [])
        raise AssertionError("wrote without a user")
    except fg.ApiError.NotSignedIn:
        pass
    try:
        await store.sync(URL, "not-a-token", None)
        raise AssertionError("synced with a bad token")
    except fg.ApiError.NotAuthorized:
        pass
    try:
        await store.sync("http://127.0.0.1:9", "t", None)
        raise AssertionError("synced with no server")
    except fg.ApiError.Offline:
        pass
    store.sign_in("worker-x")
    try:
        store.report_incident(fg.NewIncident(grid_code=GRID, category="x", description="y", lat=95.0, lon=0.0,
                                             photos=[]))
        raise AssertionError("impossible place accepted")
    except fg.ApiError.Invalid:
        pass
    try:
        store.report_incident(fg.NewIncident(grid_code=GRID, category="urban.street.nothing", description="y",
                                             lat=None, lon=None, photos=[]))
        raise AssertionError("unknown category accepted")
    except fg.ApiError.Invalid as e:
        assert "不在类别目录中" in str(e), e
    picked = store.search_categories("zdjy", 5)
    assert picked and picked[0].code == "urban.street.stalls", picked
    assert picked[0].path == "城乡管理与违法建设 › 市容秩序 › 占道经营", picked[0].path
    # The queue carries the Chinese names a screen shows, next to the codes.
    store.report_incident(fg.NewIncident(grid_code=GRID, category=picked[0].code, description="占道摆摊",
                                         lat=None, lon=None, photos=[]))
    entry = [q for q in store.incident_queue(False) if q.category == picked[0].code][0]
    assert (entry.category_name, entry.stage_name, entry.channel, entry.channel_name) == \
        ("占道经营", "待受理", "grid_worker", "网格员上报"), entry
    assert entry.assignee is None and entry.assignee_name is None, entry


async def test_task_list_and_typed_steps_through_the_loop():
    """A worker reports; the town supervisor accepts and dispatches to a lead with
    a joint unit under a supervising unit; the units' phones hear of it from the
    news check, find it on their task lists and take their steps."""
    d = tempfile.mkdtemp()
    phones = {}
    for name, staff in [("w", WORKER), ("sup", "sup-anfeng"), ("lead", "handler-zhifa"),
                        ("joint", "handler-shichang")]:
        store = fg.FieldGrid.open(os.path.join(d, name + ".sqlite"), None)
        token = await enrol(store, "py-" + name, staff)
        await store.sync(URL, token, None)
        phones[name] = (store, token)
    w, wt = phones["w"]
    iid = w.report_incident(fg.NewIncident(grid_code=GRID, category="dispute.neighbour",
                                           description="两户因院墙滴水发生争执", lat=None, lon=None, photos=[]))
    await w.sync(URL, wt, None)
    sup, st = phones["sup"]
    assert (await sup.sync_if_news(URL, st, None)) is not None, "the new report is news for the centre"
    mine = [t for t in sup.my_tasks() if t.incident.id == iid]
    assert [t.kind_name for t in mine] == ["待受理"], mine
    assert [s.name for s in mine[0].steps] == ["受理", "不予受理", "上报上级"], mine[0].steps
    sup.take_step(iid, fg.Step.ACCEPT(note=""))
    due = int(time.time()) + 2 * 86400
    after = sup.take_step(iid, fg.Step.DISPATCH(
        lead="320722104000-zhifa", supervisor="320722104000-zongzhi", note="",
        joint=[fg.JointPartInput(unit="320722104000-shichang", task="调解双方", due=due)]))
    assert after.stage == "dispatched", after
    await sup.sync(URL, st, None)
    for name in ("lead", "joint"):
        store, token = phones[name]
        news = await store.check_news(URL, token)
        assert news.count >= 1, (name, news)
        assert (await store.sync_if_news(URL, token, None)) is not None
    joint, jt = phones["joint"]
    task = [t for t in joint.my_tasks() if t.incident.id == iid][0]
    assert (task.kind, task.kind_name, task.unit_name, task.part_task, task.part_status_name, task.part_due) == \
        ("joint", "联办", "市场监管平台", "调解双方", "待办理", due + 0), task
    assert [s.kind for s in task.steps] == [fg.StepKind.PART_START, fg.StepKind.PART_FINISH,
                                            fg.StepKind.PART_RETURN], task.steps
    joint.take_step(iid, fg.Step.PART_FINISH(unit="320722104000-shichang", what_was_done="双方签订调解协议"))
    assert [p.status_name for p in joint.incident_parts(iid)] == ["已完成"]
    await joint.sync(URL, jt, None)
    lead, lt = phones["lead"]
    await lead.sync(URL, lt, None)
    lead.take_step(iid, fg.Step.START_HANDLING())
    done = lead.take_step(iid, fg.Step.FINISH(what_was_done="已拆除滴水檐"))
    assert (done.stage, done.conflicts) == ("handled", 0), done
    progress = await lead.sync(URL, lt, None)
    assert progress.rejected == 0, progress
    # A step with a missing reason is kept as a conflict, not taken.
    try:
        w.take_step(iid, fg.Step.CLOSE(note=""))
        raise AssertionError("a grid worker closed a case")
    except fg.ApiError.Invalid as e:
        assert "close" in str(e) or "closed" in str(e), e


async def test_own_scorecard_fetched_and_read_offline():
    """The worker's own card for this month from the server, every item in
    Chinese; kept on the phone, so it reads the same with no signal."""
    store = fg.FieldGrid.open(STATE["path"], KEY)
    store.sign_in(WORKER)
    card = await store.my_scorecard(URL, STATE["token"], "")
    assert card.period_label.endswith("月"), card.period_label
    names = [i.name for i in card.items]
    assert names[:2] == ["巡查时长", "巡查天数"], names
    visits = [i for i in card.items if i.metric == "visits"][0]
    assert visits.records >= 1 and visits.value_text.endswith("次"), visits
    assert card.points_total == card.points_earned + card.points_adjusted
    assert card.points_earned >= 1.0, card
    assert store.cached_scorecard("") == card
    assert store.cached_scorecard(card.period) == card
    try:
        await store.my_scorecard("http://127.0.0.1:9", STATE["token"], "")
        raise AssertionError("fetched with no server")
    except fg.ApiError.Offline:
        pass
    assert store.cached_scorecard("") == card, "the kept card survives a failed fetch"
    try:
        store.cached_scorecard("2026-13")
        raise AssertionError("a month 13 accepted")
    except fg.ApiError.Invalid as e:
        assert "考核期" in str(e), e
    assert store.cached_scorecard("2020-Q1") is None


async def test_knowledge_base_downloaded_and_searched_offline():
    """The county's knowledge base and grid task list arrive by sync; the phone
    searches them with no signal, title matches first with the passage marked,
    opens an entry in blocks, gives guidance for a category and lists the
    worker's own grid tasks."""
    store = fg.FieldGrid.open(STATE["path"], KEY)
    store.sign_in(WORKER)
    await store.sync(URL, STATE["token"], None)
    status = store.knowledge_status()
    assert (status.entries, status.tasks) == (5100, 196), status
    assert status.version is not None and status.downloading_to is None
    hits = store.search_knowledge("医保", None, None, None, 10)
    assert len(hits) == 10 and all("医保" in h.entry.title for h in hits), hits
    assert hits[0].entry.kind_name in ("办事指南", "热点问答", "审批服务"), hits[0]
    low = store.search_knowledge("低保", None, None, None, 50)
    assert any(h.entry.title == "最低生活保障办理指南" for h in low)
    body_hit = [h for h in store.search_knowledge("压缩办理时限", None, None, None, 5) if h.marks]
    for h in body_hit:
        m = h.marks[0]
        assert h.passage[m.start:m.end] in ("压缩", "压缩办理时限", "办理时限"), h
    guide = [h for h in low if h.entry.title == "最低生活保障办理指南"][0]
    detail = store.knowledge_entry(guide.entry.id)
    assert detail.blocks[0].kind == "heading" and detail.blocks[0].spans[0].text == "适用对象"
    links = [s for b in detail.blocks for s in b.spans if s.link]
    assert links and not links[0].broken, links
    assert detail.categories == ["便民服务与群众诉求/社会救助"], detail.categories
    assert detail.tasks, "a grid task cites the guide"
    guidance = store.knowledge_guidance("service.assistance")
    assert guide.entry.id in [e.id for e in guidance]
    mine = store.my_grid_tasks()
    assert len(mine) > 100 and all("专职网格员" in t.roles for t in mine), len(mine)
    assert {t.frequency_name for t in mine} <= {"每日", "每周", "每月", "每季度", "每年", "随时"}
    departments = store.knowledge_departments()
    assert any(d.name == "东海县民政局" and d.count > 200 for d in departments), departments
    only = store.knowledge_entries("东海县民政局", None, "guide", 0, 100)
    assert only and all(e.kind == "guide" and e.department == "东海县民政局" for e in only)
    try:
        store.search_knowledge("低保", None, None, "notice", 5)
        raise AssertionError("an unknown kind accepted")
    except fg.ApiError.Invalid as e:
        assert "条目类型" in str(e), e
    # With no signal the sync fails and the set still reads.
    try:
        await store.sync("http://127.0.0.1:9", STATE["token"], None)
    except fg.ApiError.Offline:
        pass
    assert store.search_knowledge("医保", None, None, None, 10) == hits


def main():
    import asyncio
    import inspect
    tests = [v for k, v in globals().items() if k.startswith("test_")]
    passed = failed = 0
    for t in tests:
        try:
            if inspect.iscoroutinefunction(t):
                asyncio.run(t())
            else:
                t()
            passed += 1
            print("ok   ", t.__name__)
        except Exception:
            failed += 1
            print("FAIL ", t.__name__)
            traceback.print_exc()
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
