#!/usr/bin/env bash
# The reference deployment on one machine (README «Reference deployment»): what a province runs
# on several machines, here on loopback.
#
#   nginx (TLS, self-signed; buffers every request body) :8443  (:8080 redirects)
#     └─ 3 web processes: gunicorn dichvucong.wsgi, 1 worker × 4 threads each, :8101-8103
#   2 background workers: dichvucong run_huey (Redis queue)
#   PostgreSQL :8432 · Redis :8379 · S3-compatible object storage :8900 (moto's server)
#
#   deploy/local/deploy.sh start    set up (first time: database, catalogue, demo accounts) and start
#   deploy/local/deploy.sh stop     stop everything it started
#   deploy/local/deploy.sh status   what runs
#   deploy/local/deploy.sh check    a page and an upload through the proxy, then slow clients
#                                   trickling uploads beside normal requests (deploy/local/check.py)
#
# State lives in DICHVUCONG_DEPLOY_DIR (default: var/deploy-local; lines in its env.extra are added
# to the platform's environment); ports can be moved with
# DEPLOY_HTTPS_PORT, DEPLOY_HTTP_PORT, DEPLOY_WEB_PORT (first of three), DEPLOY_PG_PORT,
# DEPLOY_REDIS_PORT, DEPLOY_S3_PORT. Needs nginx (or nginx-light), postgresql, redis-server and
# openssl from Debian, and the project installed with its test extra (moto's server).
# Runs in demo mode (demo accounts, the local sandboxes, the demo signing CA); a province sets
# DICHVUCONG_MODE=production with its own keys (README «Configuration»).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DIR=${DICHVUCONG_DEPLOY_DIR:-$ROOT/var/deploy-local}
PY=${PYTHON:-$ROOT/.venv/bin/python}
HTTPS_PORT=${DEPLOY_HTTPS_PORT:-8443}
HTTP_PORT=${DEPLOY_HTTP_PORT:-8080}
WEB_PORT=${DEPLOY_WEB_PORT:-8101}
PG_PORT=${DEPLOY_PG_PORT:-8432}
REDIS_PORT=${DEPLOY_REDIS_PORT:-8379}
S3_PORT=${DEPLOY_S3_PORT:-8900}
BUCKET=dichvucong
WEB_PORTS=("$WEB_PORT" "$((WEB_PORT + 1))" "$((WEB_PORT + 2))")

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
is_root() { [ "$(id -u)" = 0 ]; }
as_pg() { if is_root; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

write_env() {
  # The environment every platform process gets: the same file on each machine of a province.
  local secret
  [ -f "$DIR/secret" ] || (umask 077 && "$PY" -c 'import secrets; print(secrets.token_urlsafe(50))' >"$DIR/secret")
  secret=$(cat "$DIR/secret")
  cat >"$DIR/env" <<EOF
DICHVUCONG_MODE=demo
DICHVUCONG_DATA_DIR=$DIR/data
SECRET_KEY=$secret
DATABASE_URL=postgres://dichvucong@127.0.0.1:$PG_PORT/dichvucong
REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0
DICHVUCONG_S3_BUCKET=$BUCKET
DICHVUCONG_S3_ENDPOINT_URL=http://127.0.0.1:$S3_PORT
DICHVUCONG_S3_REGION=us-east-1
DICHVUCONG_S3_ACCESS_KEY=dichvucong
DICHVUCONG_S3_SECRET_KEY=dichvucong-local-only
ALLOWED_HOSTS=127.0.0.1,localhost
CSRF_TRUSTED_ORIGINS=https://127.0.0.1:$HTTPS_PORT,https://localhost:$HTTPS_PORT
SITE_URL=https://127.0.0.1:$HTTPS_PORT
BEHIND_TLS_PROXY=1
DICHVUCONG_TRUSTED_PROXIES=127.0.0.1
HUEY_WORKERS=4
LOG_LEVEL=WARNING
# No national portal here (the demo's default is its local simulator, not started): records wait
# in the outbox.
NATIONAL_SYNC_URL=
EOF
  # A site's own additions and overrides (later lines win): mail and SMS gateways, keys …
  [ ! -f "$DIR/env.extra" ] || cat "$DIR/env.extra" >>"$DIR/env"
  chmod 600 "$DIR/env"
}

load_env() { set -a; . "$DIR/env"; set +a; }

start_postgres() {
  local bin
  bin=$(pg_bin)
  [ -n "$bin" ] || die "PostgreSQL is missing (apt-get install postgresql)"
  if [ ! -d "$DIR/pg/data" ]; then
    mkdir -p "$DIR/pg"
    is_root && chown postgres "$DIR/pg"
    as_pg "$bin/initdb" -D "$DIR/pg/data" -U dichvucong -A trust -E UTF8 --locale=C.UTF-8 >"$DIR/logs/initdb.log"
  fi
  if ! as_pg "$bin/pg_ctl" -D "$DIR/pg/data" status >/dev/null 2>&1; then
    as_pg "$bin/pg_ctl" -D "$DIR/pg/data" -l "$DIR/pg/server.log" -w -t 60 start \
      -o "-p $PG_PORT -k $DIR/pg -c listen_addresses=127.0.0.1" >/dev/null
  fi
  "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U dichvucong -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = 'dichvucong'" | grep -q 1 ||
    "$bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U dichvucong dichvucong
  say "PostgreSQL on 127.0.0.1:$PG_PORT"
}

start_redis() {
  alive "$DIR/run/redis.pid" || redis-server --port "$REDIS_PORT" --bind 127.0.0.1 \
    --save 60 1 --appendonly yes --dir "$DIR/redis" --pidfile "$DIR/run/redis.pid" \
    --logfile "$DIR/logs/redis.log" --daemonize yes >/dev/null
  for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  say "Redis on 127.0.0.1:$REDIS_PORT"
}

start_s3() {
  # moto's server keeps objects in memory: a stand-in for the province's MinIO or Ceph, not a
  # store to keep records in (restarting it loses the files; the backups do not).
  if ! alive "$DIR/run/s3.pid"; then
    nohup "$PY" -m moto.server -H 127.0.0.1 -p "$S3_PORT" >"$DIR/logs/s3.log" 2>&1 &
    echo $! >"$DIR/run/s3.pid"
  fi
  "$PY" - "$S3_PORT" "$BUCKET" <<'EOF'
import sys, time, boto3
port, bucket = sys.argv[1:]
s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                  aws_access_key_id="dichvucong", aws_secret_access_key="dichvucong-local-only")
for _ in range(100):
    try:
        names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
        break
    except Exception:
        time.sleep(0.1)
else:
    sys.exit("the S3 server did not start")
if bucket not in names:
    s3.create_bucket(Bucket=bucket)
EOF
  say "S3-compatible storage on 127.0.0.1:$S3_PORT, bucket $BUCKET"
}

set_up_platform() {
  if [ ! -f "$DIR/data/.set-up" ]; then
    say "first start: database, static files, reference data, catalogue, demo accounts"
    "$PY" -m dichvucong migrate --noinput -v 0
    "$PY" -m dichvucong collectstatic --noinput -v 0
    "$PY" -m dichvucong load_reference_data -v 0
    "$PY" -m dichvucong load_catalog -v 0
    "$PY" -m dichvucong create_demo_accounts -v 0
    touch "$DIR/data/.set-up"
  else
    "$PY" -m dichvucong migrate --noinput -v 0
  fi
}

start_platform() {
  local i port
  # The web processes' request metrics in one folder, which /metrics of any of them adds up;
  # emptied when none runs; a dead worker's gauges are cleaned by core/gunicorn_config.py.
  alive "$DIR/run/web0.pid" || alive "$DIR/run/web1.pid" || alive "$DIR/run/web2.pid" ||
    rm -rf "$DIR/prometheus"
  mkdir -p "$DIR/prometheus"
  for i in 0 1 2; do
    port=${WEB_PORTS[$i]}
    alive "$DIR/run/web$i.pid" && continue
    PROMETHEUS_MULTIPROC_DIR=$DIR/prometheus "$PY" -m gunicorn dichvucong.wsgi:application \
      --config python:dichvucong.core.gunicorn_config --bind "127.0.0.1:$port" --workers 1 \
      --threads 4 --graceful-timeout 10 --pid "$DIR/run/web$i.pid" --daemon \
      --control-socket "$DIR/run/web$i.ctl" \
      --access-logfile "$DIR/logs/web$i-access.log" --error-logfile "$DIR/logs/web$i.log"
  done
  for i in 0 1; do
    alive "$DIR/run/worker$i.pid" && continue
    nohup "$PY" -m dichvucong run_huey --quiet >"$DIR/logs/worker$i.log" 2>&1 &
    echo $! >"$DIR/run/worker$i.pid"
  done
  say "3 web processes on 127.0.0.1:${WEB_PORTS[0]}-${WEB_PORTS[2]}, 2 workers"
}

start_nginx() {
  command -v nginx >/dev/null || die "nginx is missing (apt-get install nginx)"
  mkdir -p "$DIR/tls" "$DIR/nginx"/{body,proxy,fastcgi,uwsgi,scgi}
  if [ ! -f "$DIR/tls/cert.pem" ]; then
    openssl req -x509 -newkey rsa:2048 -sha256 -days 365 -nodes -subj "/CN=127.0.0.1" \
      -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
      -keyout "$DIR/tls/key.pem" -out "$DIR/tls/cert.pem" 2>/dev/null
    chmod 600 "$DIR/tls/key.pem"
  fi
  local user=""
  if is_root; then
    user="user nobody nogroup;"
    chown -R nobody:nogroup "$DIR/nginx"
  fi
  sed -e "s|@DIR@|$DIR|g" -e "s|@USER@|$user|" -e "s|@HTTPS_PORT@|$HTTPS_PORT|g" \
    -e "s|@HTTP_PORT@|$HTTP_PORT|g" -e "s|@WEB1@|${WEB_PORTS[0]}|" -e "s|@WEB2@|${WEB_PORTS[1]}|" \
    -e "s|@WEB3@|${WEB_PORTS[2]}|" "$ROOT/deploy/local/nginx.conf.in" >"$DIR/nginx.conf"
  nginx -t -q -c "$DIR/nginx.conf" -p "$DIR" -e "$DIR/logs/nginx-error.log"
  if alive "$DIR/run/nginx.pid"; then
    nginx -c "$DIR/nginx.conf" -p "$DIR" -e "$DIR/logs/nginx-error.log" -s reload
  else
    nginx -c "$DIR/nginx.conf" -p "$DIR" -e "$DIR/logs/nginx-error.log"
  fi
  say "nginx: https://127.0.0.1:$HTTPS_PORT/ (self-signed: $DIR/tls/cert.pem)"
}

wait_ready() {
  for _ in $(seq 300); do
    curl -fsS --cacert "$DIR/tls/cert.pem" -o /dev/null "https://127.0.0.1:$HTTPS_PORT/" && return
    sleep 0.2
  done
  die "the platform did not answer through the proxy (see $DIR/logs)"
}

cmd_start() {
  mkdir -p "$DIR"/{data,logs,run,redis}
  chmod 755 "$DIR"
  write_env
  load_env
  start_postgres
  start_redis
  start_s3
  set_up_platform
  start_platform
  start_nginx
  wait_ready
  say "ready: https://127.0.0.1:$HTTPS_PORT/ (demo accounts: README «Demo accounts»)"
}

stop_pid() {
  local file=$1 pid
  if alive "$file"; then
    pid=$(cat "$file")  # once: gunicorn removes its pid file as it exits
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$file"
}

cmd_stop() {
  [ -d "$DIR" ] || return 0
  if alive "$DIR/run/nginx.pid"; then
    nginx -c "$DIR/nginx.conf" -p "$DIR" -e "$DIR/logs/nginx-error.log" -s quit || true
    for _ in $(seq 50); do alive "$DIR/run/nginx.pid" || break; sleep 0.1; done
  fi
  local name
  for name in web0 web1 web2 worker0 worker1 s3; do stop_pid "$DIR/run/$name.pid"; done
  if alive "$DIR/run/redis.pid"; then
    redis-cli -p "$REDIS_PORT" shutdown >/dev/null 2>&1 || stop_pid "$DIR/run/redis.pid"
  fi
  if [ -d "$DIR/pg/data" ]; then
    as_pg "$(pg_bin)/pg_ctl" -D "$DIR/pg/data" -m fast stop >/dev/null 2>&1 || true
  fi
  say "stopped"
}

cmd_status() {
  local name
  for name in nginx web0 web1 web2 worker0 worker1 s3 redis; do
    if alive "$DIR/run/$name.pid"; then echo "$name: running"; else echo "$name: stopped"; fi
  done
  as_pg "$(pg_bin)/pg_ctl" -D "$DIR/pg/data" status >/dev/null 2>&1 &&
    echo "postgresql: running" || echo "postgresql: stopped"
}

cmd_check() {
  load_env
  "$PY" "$ROOT/deploy/local/check.py" --url "https://127.0.0.1:$HTTPS_PORT" \
    --cacert "$DIR/tls/cert.pem" --direct "http://127.0.0.1:${WEB_PORTS[0]}" \
    --s3 "http://127.0.0.1:$S3_PORT" "$@"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  check) shift; cmd_check "$@" ;;
  *) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
