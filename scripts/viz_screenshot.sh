#!/usr/bin/env bash
# Build the Kedro-Viz static site for this project and screenshot it with headless Chromium.
#   scripts/viz_screenshot.sh [OUTPUT.png] [PIPELINE]
# defaults: data/08_reporting/kedro_viz.png and the curation pipeline. Needs `chromium`
# (Debian: apt-get install -y chromium). The site is served from 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
OUTPUT=$(realpath -m "${1:-data/08_reporting/kedro_viz.png}")
PIPELINE=${2:-curation}
# the project's venv when there is one, else the python on PATH (an activated venv)
[ -x .venv/bin/python ] && DEFAULT_PYTHON=.venv/bin/python || DEFAULT_PYTHON=$(command -v python3)
PYTHON=${PYTHON:-$DEFAULT_PYTHON}
export KEDRO_DISABLE_TELEMETRY=1 DO_NOT_TRACK=1
command -v chromium >/dev/null || { echo "viz_screenshot: chromium is not installed" >&2; exit 2; }

"$PYTHON" -m kedro viz build
mkdir -p "$(dirname "$OUTPUT")"
# a same-origin page that turns the first-visit feature tour off, then opens the pipeline
cat > build/_screenshot.html <<HTML
<script>
localStorage.setItem("KedroViz", JSON.stringify({showFeatureHints: false}));
location.replace("/?pid=$PIPELINE");
</script>
HTML
PORT=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$PYTHON" -m http.server "$PORT" --bind 127.0.0.1 --directory build >/dev/null 2>&1 &
SERVER=$!
PROFILE=$(mktemp -d)
trap 'kill "$SERVER" 2>/dev/null; rm -rf "$PROFILE"' EXIT
for _ in $(seq 50); do  # wait until the server answers
  "$PYTHON" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$PORT/api/main')" \
    2>/dev/null && break
  sleep 0.1
done

# virtual time lets the app fetch its JSON and lay out the graph before the shot
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$PROFILE" --hide-scrollbars --window-size=1600,1000 \
  --virtual-time-budget=20000 --screenshot="$OUTPUT" \
  "http://127.0.0.1:$PORT/_screenshot.html" 2>"$PROFILE/chromium.log" \
  || { cat "$PROFILE/chromium.log" >&2; exit 1; }
test -s "$OUTPUT" || { cat "$PROFILE/chromium.log" >&2; echo "viz_screenshot: no image" >&2; exit 1; }
echo "viz_screenshot: wrote $OUTPUT"
