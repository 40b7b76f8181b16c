"""A real phone (a FieldStore through the generated Python bindings) for the
browser tests: register, wait for approval, patrol, report, sync, and check what
arrived. Each call is one command; state lives in the store file and a JSON file
next to it.

    phone.py DIR register NAME
    phone.py DIR approved            # prints the staff id once approved
    phone.py DIR work GRID LAT LON   # a patrol of today around a point and an incident, synced
    phone.py DIR report GRID         # a plain report, synced; prints its id
    phone.py DIR stage INCIDENT      # sync, print the incident's stage
"""

import asyncio
import json
import os
import sys
import time

import fieldgrid_ffi as fg

URL = os.environ["FIELDGRID_URL"]


def id_number(n):
    body = "32072219880416%03d" % (n % 1000)
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    s = sum(int(c) * w for c, w in zip(body, weights))
    return body + "10X98765432"[s % 11]


async def main():
    d, cmd = sys.argv[1], sys.argv[2]
    os.makedirs(d, exist_ok=True)
    meta_path = os.path.join(d, "phone.json")
    meta = json.load(open(meta_path)) if os.path.exists(meta_path) else {}
    store = fg.FieldGrid.open(os.path.join(d, "phone.sqlite"), None)
    if cmd == "register":
        reg = await store.register(URL, sys.argv[3], id_number(len(sys.argv[3]) * 7), "13905185555")
        meta.update(registration=reg.registration_id, token=reg.token)
        print(reg.registration_id)
    elif cmd == "approved":
        s = await store.registration_status(URL, meta["token"], meta["registration"])
        if isinstance(s, fg.RegistrationStatus.APPROVED):
            meta["staff"] = s.staff_id
            print(s.staff_id)
        else:
            print("pending")
    elif cmd == "work":
        store.sign_in(meta["staff"])
        grid = sys.argv[3]
        clat, clon = float(sys.argv[4]), float(sys.argv[5])
        await store.sync(URL, meta["token"], None)
        patrol = store.start_patrol(grid, "日常巡查", fg.TravelModeInfo.WALKING)
        # 20 minutes walking a 440 m × 370 m loop inside the grid, about 1.4 m/s.
        now = int(time.time() * 1000)
        t0 = now - 20 * 60 * 1000
        fixes = []
        for i in range(1200):
            k = i / 1200
            s, w = clat - 0.002, clon - 0.002
            if k < 0.25:
                lat, lon = s + k * 4 * 0.004, w
            elif k < 0.5:
                lat, lon = s + 0.004, w + (k - 0.25) * 4 * 0.004
            elif k < 0.75:
                lat, lon = s + 0.004 - (k - 0.5) * 4 * 0.004, w + 0.004
            else:
                lat, lon = s, w + 0.004 - (k - 0.75) * 4 * 0.004
            fixes.append(fg.FixInput(time_ms=t0 + i * 1000, lat=lat, lon=lon, accuracy_m=5.0, altitude_m=None,
                                     speed_mps=None, bearing_deg=None, provider=fg.ProviderInfo.GPS, mock=False))
        got = store.ingest_fixes(patrol, fixes)
        store.stop_patrol(patrol)
        incident = store.report_incident(fg.NewIncident(grid_code=grid, category="urban.street.stalls",
                                                        description="路口流动摊贩占道经营", lat=clat, lon=clon,
                                                        photos=[]))
        done = await store.sync(URL, meta["token"], None)
        meta.update(patrol=patrol, incident=incident)
        print(json.dumps({"patrol": patrol, "incident": incident, "fixes": got.accepted, "pushed": done.pushed,
                          "chunks": done.track_chunks}))
    elif cmd == "evil":
        # A report whose text carries markup and script: pages must show it as text.
        store.sign_in(meta["staff"])
        grid = sys.argv[3]
        evil = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'
        incident = store.report_incident(fg.NewIncident(grid_code=grid, category="urban.street.stalls",
                                                        description=evil, lat=34.5, lon=118.7, photos=[]))
        await store.sync(URL, meta["token"], None)
        print(incident)
    elif cmd == "report":
        # A plain report (no patrol), synced: for the work-surface tests.
        store.sign_in(meta["staff"])
        incident = store.report_incident(fg.NewIncident(grid_code=sys.argv[3], category="dispute.neighbour",
                                                        description="两户因院墙滴水发生争执", lat=None, lon=None,
                                                        photos=[]))
        await store.sync(URL, meta["token"], None)
        print(incident)
    elif cmd == "live":
        # On patrol at a place: a fix now, and the live position sent.
        store.sign_in(meta["staff"])
        grid, lat, lon = sys.argv[3], float(sys.argv[4]), float(sys.argv[5])
        patrol = meta.get("live_patrol")
        if not patrol:
            patrol = store.start_patrol(grid, "日常巡查", fg.TravelModeInfo.WALKING)
            meta["live_patrol"] = patrol
        now = int(time.time() * 1000)
        store.ingest_fixes(patrol, [fg.FixInput(time_ms=now, lat=lat, lon=lon, accuracy_m=5.0, altitude_m=None,
                                                speed_mps=None, bearing_deg=None, provider=fg.ProviderInfo.GPS,
                                                mock=False)])
        print(json.dumps({"sent": await store.send_position(URL, meta["token"]), "staff": meta["staff"]}))
    elif cmd == "stage":
        store.sign_in(meta["staff"])
        await store.sync(URL, meta["token"], None)
        print(store.incident(sys.argv[3]).stage)
    else:
        raise SystemExit("unknown command " + cmd)
    json.dump(meta, open(meta_path, "w"))


asyncio.run(main())
# Leave without the interpreter's teardown: a native runtime thread delivering a
# late callback must not meet an interpreter being finalised (glibc then aborts
# the process with "FATAL: exception not rethrown").
sys.stdout.flush()
sys.stderr.flush()
os._exit(0)
