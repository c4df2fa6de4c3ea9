#!/usr/bin/env bash
# Installs (only what is missing) and starts (only what is not answering) the servers that the tests talk to,
# all bound to 127.0.0.1: Redis on 6379, RabbitMQ on 5672, Azurite (blob) on 10000. Also installs ffmpeg,
# which the media tests need. Safe to run again: a second run on a ready machine takes about a second.
#
#   scripts/services.sh            install + start
#   scripts/services.sh --stop     stop what this script started (by the pid files it wrote)
set -euo pipefail

cd "$(dirname "$0")/.."
repo_root=$(pwd)
cache_dir="$repo_root/.cache"
state_dir="${EPD_SERVICES_STATE:-${TMPDIR:-/tmp}/epd-services}"
azurite_version=3.37.0
azurite_dir="$cache_dir/azurite"
azurite_bin="$azurite_dir/node_modules/.bin/azurite-blob"

log() { printf '[services] %s\n' "$*" >&2; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() { # port name seconds logfile
  local port=$1 name=$2 seconds=$3 logfile=$4 i
  for ((i = 0; i < seconds * 5; i++)); do
    port_open "$port" && return 0
    sleep 0.2
  done
  log "$name did not open 127.0.0.1:$port within ${seconds}s; last lines of $logfile:"
  tail -n 40 "$logfile" >&2 || true
  return 1
}

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

install_apt_packages() {
  local missing=()
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  command -v rabbitmq-server >/dev/null 2>&1 || missing+=(rabbitmq-server)
  command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)
  if ! command -v npm >/dev/null 2>&1; then missing+=(nodejs npm); fi
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]} (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  # policy-rc.d in containers stops the packages' own start scripts; this script starts the servers itself.
  as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

install_azurite() {
  [ -x "$azurite_bin" ] && return 0
  log "installing azurite@$azurite_version into .cache/azurite (npm)"
  mkdir -p "$azurite_dir"
  npm install --prefix "$azurite_dir" --no-audit --no-fund --loglevel=error "azurite@$azurite_version" >/dev/null
}

start_redis() {
  port_open 6379 && return 0
  log "starting redis on 127.0.0.1:6379"
  mkdir -p "$state_dir/redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --protected-mode yes \
    --dir "$state_dir/redis" --save '' --appendonly no \
    --logfile "$state_dir/redis.log" --pidfile "$state_dir/redis.pid" </dev/null >/dev/null 2>&1
  wait_port 6379 redis 20 "$state_dir/redis.log"
}

start_azurite() {
  port_open 10000 && return 0
  log "starting azurite blob on 127.0.0.1:10000"
  mkdir -p "$state_dir/azurite"
  setsid nohup "$azurite_bin" --blobHost 127.0.0.1 --blobPort 10000 --skipApiVersionCheck --silent \
    --location "$state_dir/azurite" </dev/null >"$state_dir/azurite.log" 2>&1 &
  echo $! >"$state_dir/azurite.pid"
  wait_port 10000 azurite 60 "$state_dir/azurite.log"
}

# RabbitMQ listens on loopback only: AMQP, the Erlang distribution port and epmd alike. The node name uses
# "localhost" so that a container hostname that does not resolve cannot stop the node from booting.
export RABBITMQ_NODENAME=rabbit@localhost
export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
export RABBITMQ_NODE_PORT=5672
export RABBITMQ_DIST_PORT=25672
export ERL_EPMD_ADDRESS=127.0.0.1
export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"

start_rabbitmq() {
  port_open 5672 && return 0
  log "starting rabbitmq on 127.0.0.1:5672"
  mkdir -p "$state_dir"
  # No systemd here: run the server in the background, detached from this shell's terminal and pipes. As root,
  # Debian's wrapper switches to the rabbitmq user and keeps these variables.
  setsid nohup rabbitmq-server </dev/null >"$state_dir/rabbitmq.log" 2>&1 &
  echo $! >"$state_dir/rabbitmq.pid"
  wait_port 5672 rabbitmq 120 "$state_dir/rabbitmq.log"
  rabbitmqctl -q await_startup >/dev/null 2>&1 || rabbitmqctl await_startup >&2
}

stop_all() {
  if [ -f "$state_dir/redis.pid" ] && command -v redis-cli >/dev/null 2>&1; then
    redis-cli -h 127.0.0.1 -p 6379 shutdown nosave >/dev/null 2>&1 || true
  fi
  if port_open 5672; then rabbitmqctl -q stop >/dev/null 2>&1 || true; fi
  if [ -f "$state_dir/azurite.pid" ]; then kill "$(cat "$state_dir/azurite.pid")" 2>/dev/null || true; fi
  rm -f "$state_dir"/*.pid
}

main() {
  if [ "${1:-}" = "--stop" ]; then stop_all; return 0; fi
  mkdir -p "$state_dir"
  install_apt_packages
  install_azurite
  start_redis
  start_rabbitmq
  start_azurite
}

main "$@"
