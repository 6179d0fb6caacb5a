#!/usr/bin/env bash
# `make docker-check`: prove the image, not just the Dockerfile. Builds it, then
#   1. runs it alone (embedded Chroma, data in a volume): /health, an ask over the API with a key from the
#      environment, `docker stop` (SIGTERM) ends it with exit code 0, and a restart finds the KB in the volume;
#   2. runs it as docker-compose.yml does, against a Chroma server in a second container (`chroma run` from the
#      same image, since a registry image cannot be pulled everywhere): /health and an ask again.
# Minutes, not seconds, so it is not part of `make test`. Needs a Docker engine; where none runs and
# ../shared/tools/docker-local.sh exists (machines without a registry), that script provides one.
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=${IMAGE:-zhiku:check}
PORT=${PORT:-17860}
KEY=docker-check-key
NAME=zhiku-check
PY=${PYTHON:-.venv/bin/python}
QUESTION=${QUESTION:-报警 AL-105 是什么意思？}

say() { printf '\n== %s\n' "$*"; }
cleanup() {
  docker rm -f "$NAME" "$NAME-chroma" >/dev/null 2>&1 || true
  docker network rm "$NAME-net" >/dev/null 2>&1 || true
  docker volume rm "$NAME-data" "$NAME-compose-data" "$NAME-chroma-data" >/dev/null 2>&1 || true
}

if ! docker version >/dev/null 2>&1; then
  [ -f ../shared/tools/docker-local.sh ] || { echo "no Docker engine is running" >&2; exit 1; }
  # shellcheck source=/dev/null
  source ../shared/tools/docker-local.sh
fi
docker buildx version >/dev/null 2>&1 || export DOCKER_BUILDKIT=0

say "wheels/: llama-cpp-python built once (pip's cache), torch's CPU build if this machine has one"
"$PY" -m pip wheel -q --no-deps -w wheels "$(grep -i '^llama.cpp.python==' requirements.lock)"
build_args=()
if "$PY" -m pip download -q --no-deps --no-index -d wheels "torch==2.13.0" 2>/dev/null; then
  build_args=(--build-arg TORCH_INDEX=https://pypi.org/simple)
fi
ls wheels/

say "docker build -t $IMAGE"
started=$(date +%s)
log=/tmp/$NAME-build.log
docker build -t "$IMAGE" "${build_args[@]}" . >"$log" 2>&1 || { tail -40 "$log" >&2; echo "the build failed; whole log: $log" >&2; exit 1; }
grep -E "^Step " "$log"
echo "built in $(($(date +%s) - started)) s; $(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{printf "%.2f GiB", $1/2^30}')"
[ "$(docker image inspect -f '{{.Config.User}}' "$IMAGE")" = 1000 ] || { echo "the image must run as user 1000" >&2; exit 1; }

wait_healthy() {
  for _ in $(seq 1 300); do
    curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && return 0
    [ "$(docker inspect -f '{{.State.Running}}' "$NAME")" = true ] || break
    sleep 1
  done
  docker logs "$NAME" 2>&1 | tail -30 >&2
  echo "the container did not answer /health" >&2
  return 1
}

ask() {  # an answer with sources from a file in examples/, through the API with the key
  curl -sf -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
    -d "{\"question\": \"$QUESTION\"}" "http://127.0.0.1:$PORT/api/ask" >"/tmp/$NAME-answer.json"
  python3 - "/tmp/$NAME-answer.json" <<'EOF'
import json, sys
reply = json.load(open(sys.argv[1], encoding="utf-8"))
sources = reply["sources"]
assert reply["answer"].strip() and sources, reply
assert all(s["page"] for s in sources if s["source"].endswith(".pdf")), sources
print(f"answer ({reply['grounded']}): {reply['answer'][:120]!r}")
print("sources:", ", ".join(f"{s['source']} p.{s['page']}" for s in sources[:3]))
EOF
  code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -d '{"question": "x"}' \
    "http://127.0.0.1:$PORT/api/ask")
  [ "$code" = 401 ] || { echo "an ask without the key got $code, not 401" >&2; return 1; }
}

cleanup
trap cleanup EXIT

say "1. the image alone: $NAME on 127.0.0.1:$PORT, data in volume $NAME-data"
docker run -d --name "$NAME" -p "127.0.0.1:$PORT:7860" -v "$NAME-data:/data" \
  -e ZHIKU_API__KEYS="[\"$KEY\"]" "$IMAGE" >/dev/null
started=$(date +%s)
wait_healthy
echo "/health answered $(($(date +%s) - started)) s after start (the sample KB ingested on first start)"
ask
docker logs "$NAME" 2>&1 | grep -q "$KEY" && { echo "the API key appears in the logs" >&2; exit 1; }

say "docker stop (SIGTERM)"
started=$(date +%s)
docker stop -t 60 "$NAME" >/dev/null
code=$(docker inspect -f '{{.State.ExitCode}}' "$NAME")
echo "stopped in $(($(date +%s) - started)) s, exit code $code"
[ "$code" = 0 ] || { docker logs "$NAME" 2>&1 | tail -20 >&2; echo "not a clean stop" >&2; exit 1; }

say "restart on the same volume"
docker start "$NAME" >/dev/null
wait_healthy
kb=$(curl -sf -H "Authorization: Bearer $KEY" "http://127.0.0.1:$PORT/api/kbs" | python3 -c 'import json, sys; print(json.load(sys.stdin)["default"])')
curl -sf -H "Authorization: Bearer $KEY" "http://127.0.0.1:$PORT/api/kbs/$kb/documents" | python3 -c '
import json, sys
documents = json.load(sys.stdin)["documents"]
assert documents, "the knowledge base did not survive the restart"
print(f"knowledge base kept: {len(documents)} documents")'
docker rm -f "$NAME" >/dev/null

say "2. as docker-compose.yml: the app against a Chroma server container"
docker network create "$NAME-net" >/dev/null
docker run -d --name "$NAME-chroma" --network "$NAME-net" -v "$NAME-chroma-data:/data" -e ANONYMIZED_TELEMETRY=False \
  "$IMAGE" chroma run --host 0.0.0.0 --port 8000 --path /data/chroma >/dev/null
# compose's depends_on waits for the start, not for readiness (the app's restart policy covers that there)
for _ in $(seq 1 60); do
  docker exec "$NAME-chroma" python -c "import urllib.request as u; u.urlopen('http://127.0.0.1:8000/api/v2/heartbeat')" \
    2>/dev/null && break
  [ "$(docker inspect -f '{{.State.Running}}' "$NAME-chroma")" = true ] || { docker logs "$NAME-chroma" 2>&1 | tail >&2; exit 1; }
  sleep 1
done
docker run -d --name "$NAME" --network "$NAME-net" -p "127.0.0.1:$PORT:7860" -v "$NAME-compose-data:/data" \
  -e ZHIKU_API__KEYS="[\"$KEY\"]" -e ZHIKU_VECTORSTORE__MODE=http -e ZHIKU_VECTORSTORE__HOST="$NAME-chroma" \
  -e ZHIKU_VECTORSTORE__PORT=8000 "$IMAGE" >/dev/null
wait_healthy
ask
docker exec "$NAME" test ! -e /data/chroma || { echo "the app kept vectors of its own in http mode" >&2; exit 1; }
docker exec "$NAME-chroma" test -s /data/chroma/chroma.sqlite3 || { echo "the Chroma server holds nothing" >&2; exit 1; }
echo "the vectors are in the Chroma server's volume, none in the app's"
docker stop -t 60 "$NAME" >/dev/null
[ "$(docker inspect -f '{{.State.ExitCode}}' "$NAME")" = 0 ] || { echo "not a clean stop" >&2; exit 1; }

say "docker-check passed"
