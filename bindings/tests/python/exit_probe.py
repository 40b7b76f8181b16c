"""Starts, makes async calls (a photo processed off-thread, a registration over
HTTP to the real server) and exits: run many times by run-foreign.sh, which fails
if any run ends other than with exit code 0 (an abort at interpreter shutdown is
what it looks for)."""
import asyncio
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from test_bindings import id_number, png  # noqa: E402

import fieldgrid_ffi as fg  # noqa: E402


async def main(n):
    d = tempfile.mkdtemp()
    store = fg.FieldGrid.open(os.path.join(d, "probe.sqlite"), None)
    store.sign_in("worker-probe")
    await store.add_photo(png(64, 48))
    await store.register(os.environ["FIELDGRID_URL"], "退出探针", id_number(500 + n), "13905180001")


asyncio.run(main(int(sys.argv[1])))
