#!/usr/bin/env bash
# Create .venv/ with Python 3.11 and install the tested stack (see requirements/).
# Idempotent: a second run with unchanged requirement files only checks a stamp and the imports.
#
# Environment:
#   PYTHON          interpreter to create the venv with (default: python3.11)
#   VENV            venv directory (default: <repo>/.venv)
#   WHEEL_CACHE     where the compiled mmcv wheel is kept (default: <repo>/.cache/wheels, git-ignored);
#                   a copy also goes to ${XDG_CACHE_HOME:-~/.cache}/vireid_toolbox/wheels so a fresh clone
#                   on the same machine reuses it.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHON=${PYTHON:-python3.11}
VENV=${VENV:-$REPO/.venv}
WHEEL_CACHE=${WHEEL_CACHE:-$REPO/.cache/wheels}
USER_WHEEL_CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/vireid_toolbox/wheels
REQ=$REPO/requirements
CONSTRAINTS=$REQ/constraints.txt
MMCV_VERSION=$(sed -n 's/^mmcv==//p' "$CONSTRAINTS")

log() { printf '[install] %s\n' "$*"; }

stamp_of_requirements() {
  cat "$REQ"/*.txt "$REPO/setup.py" "$REPO/tools/install.sh" | sha256sum | cut -c1-16
}

verify() {
  "$VENV/bin/python" -c "import vireid_toolbox, mmcv.ops, mmpose.models" 2>/dev/null
}

STAMP="$VENV/.installed-$(stamp_of_requirements)"
if [[ -f "$STAMP" ]] && verify; then
  log "up to date ($VENV)"
  exit 0
fi

if ! command -v "$PYTHON" >/dev/null; then
  echo "install: $PYTHON not found; set PYTHON=/path/to/python3.11" >&2
  exit 1
fi
if [[ ! -x "$VENV/bin/python" ]]; then
  log "creating $VENV with $PYTHON"
  "$PYTHON" -m venv "$VENV"
fi
PIP=("$VENV/bin/python" -m pip install --disable-pip-version-check -q -c "$CONSTRAINTS")

log "build tools"
"${PIP[@]}" "setuptools<81" wheel
log "torch and torchvision"
"${PIP[@]}" -r "$REQ/torch.txt"

find_mmcv_wheel() {
  local candidate
  for candidate in "$WHEEL_CACHE"/mmcv-"$MMCV_VERSION"-*.whl "$USER_WHEEL_CACHE"/mmcv-"$MMCV_VERSION"-*.whl; do
    if [[ -f "$candidate" ]]; then
      echo "$candidate"
      return
    fi
  done
}

build_mmcv_wheel() {
  # mmcv 2.1.0 has no wheel for this torch; build it with its CPU ops (about 6 minutes on 2 cores).
  # torch >= 2.6 headers need C++20, mmcv's setup.py asks for C++17.
  local src
  src=$(mktemp -d)
  log "building mmcv $MMCV_VERSION with CPU ops (takes several minutes)"
  "$VENV/bin/python" -m pip download --disable-pip-version-check -q --no-deps --no-binary mmcv \
    --no-build-isolation "mmcv==$MMCV_VERSION" -d "$src"
  tar -xzf "$src"/mmcv-"$MMCV_VERSION".tar.gz -C "$src"
  sed -i 's/-std=c++17/-std=c++20/g' "$src/mmcv-$MMCV_VERSION/setup.py"
  mkdir -p "$WHEEL_CACHE"
  MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-2} "$VENV/bin/python" -m pip wheel --disable-pip-version-check -q \
    --no-build-isolation --no-deps -w "$WHEEL_CACHE" "$src/mmcv-$MMCV_VERSION"
  rm -rf "$src"
}

if ! "$VENV/bin/python" -c "import mmcv.ops" 2>/dev/null; then
  wheel=$(find_mmcv_wheel)
  if [[ -z "$wheel" ]]; then
    build_mmcv_wheel
    wheel=$(find_mmcv_wheel)
  fi
  mkdir -p "$USER_WHEEL_CACHE" "$WHEEL_CACHE"
  cp -n "$wheel" "$USER_WHEEL_CACHE/" 2>/dev/null || true
  cp -n "$wheel" "$WHEEL_CACHE/" 2>/dev/null || true
  log "mmcv from $wheel"
  "${PIP[@]}" --no-deps "$wheel"
fi

log "runtime and test requirements"
"${PIP[@]}" -r "$REQ/runtime.txt" -r "$REQ/pose_deps.txt" -r "$REQ/tests.txt"
log "mmpose and mmdet (without their declared requirements, see requirements/pose.txt)"
"${PIP[@]}" --no-deps -r "$REQ/pose.txt"
log "vireid_toolbox (editable)"
"${PIP[@]}" --no-deps --no-build-isolation -e "$REPO"

if ! verify; then
  echo "install: the stack does not import; run: $VENV/bin/python -c 'import vireid_toolbox, mmcv.ops, mmpose.models'" >&2
  exit 1
fi
rm -f "$VENV"/.installed-*
touch "$STAMP"
log "done ($VENV)"
