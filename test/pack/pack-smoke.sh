#!/usr/bin/env bash
# The package a team installs: `npm pack`, then into an empty folder with production dependencies
# only (no TypeScript, no prepare), as the README's "Add ztgate to your repository" shows. Runs
# `ztgate check` on a compliant and a refused manifest (exit codes 0 and 1 and their verdicts),
# `ztgate serve --help`, and a short `ztgate serve --demo` on 127.0.0.1 port 0 that must answer
# /readyz over TLS and exit 0 on SIGTERM. Run from anywhere: bash test/pack/pack-smoke.sh
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d)"
server_pid=''
decoy=''
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
  if [ -n "$decoy" ]; then rm -f "$decoy"; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "pack-smoke: $*" >&2; exit 1; }

cd "$repo"
# `ztgate certs --manifests manifests/` writes a Secret with the private key there (git-ignored):
# the package must never carry it. A decoy stands in when there is none.
if [ ! -e manifests/tls-secret.yaml ]; then
  decoy="$repo/manifests/tls-secret.yaml"
  printf '# decoy written by test/pack/pack-smoke.sh\n' >"$decoy"
fi
# npm pack runs `prepare` (the build) first, as `npm publish` would.
tarball="$work/$(npm pack --silent --pack-destination "$work" | tail -n 1)"
listing="$(tar -tzf "$tarball")"
# Nothing secret or local in the package: no keys, no generated TLS Secret, no certs/, no tests.
if grep -E '\.key$|tls-secret\.yaml|^package/(certs|test|\.bench)/' <<<"$listing"; then
  fail "the tarball holds files it must not"
fi
for wanted in package/bin/ztgate.js package/dist/cli/main.js package/manifests/demo/02-catalog.yaml package/manifests/rbac.yaml; do
  grep -qx "$wanted" <<<"$listing" || fail "the tarball lacks $wanted"
done

app="$work/team-repo"
mkdir -p "$app/deploy"
cd "$app"
npm init -y >/dev/null
npm install --omit=dev --no-audit --no-fund --loglevel=error "$tarball"
[ ! -e node_modules/typescript ] || fail 'dev dependencies were installed'
[ -x node_modules/.bin/ztgate ] || fail 'no ztgate bin'

cp "$repo/test/pack/allowed.yaml" deploy/allowed.yaml
grep -v 'serviceAccountName: web' deploy/allowed.yaml >deploy/refused.yaml

# --no: never fetch a package called ztgate from the registry (it is not ours).
set +e
allowed_out="$(npx --no ztgate check -f deploy/allowed.yaml)"
allowed_code=$?
refused_out="$(npx --no ztgate check -f deploy/refused.yaml -o json)"
refused_code=$?
set -e
[ "$allowed_code" -eq 0 ] || fail "check of a compliant manifest exited $allowed_code: $allowed_out"
grep -q '^ALLOWED Deployment shop/web$' <<<"$allowed_out" || fail "no ALLOWED verdict: $allowed_out"
[ "$refused_code" -eq 1 ] || fail "check of a refused manifest exited $refused_code: $refused_out"
node -e '
  const out = JSON.parse(process.argv[1]);
  const web = out.results.find((r) => r.kind === "Deployment" && r.name === "web");
  if (!web || web.allowed !== false || !web.violations.some((v) => v.rule === "dedicated-service-account"))
    throw new Error("unexpected verdict: " + process.argv[1]);
' "$refused_out"

npx --no ztgate serve --help | grep -q -- '--kubeconfig' || fail 'serve --help does not list --kubeconfig'

# A short serve (the bin itself: npx would stand between the signal and the server); the demo
# state comes with the package, its certificates are made in ./certs/demo.
node_modules/.bin/ztgate serve --demo --port 0 >"$work/serve.log" 2>&1 &
server_pid=$!
address=''
for _ in $(seq 1 100); do
  address="$(node -e '
    const lines = require("fs").readFileSync(process.argv[1], "utf8").split("\n");
    const line = lines.find((l) => l.includes("\"msg\":\"ztgate serving\""));
    if (line) process.stdout.write(JSON.parse(line).address);
  ' "$work/serve.log")"
  [ -n "$address" ] && break
  kill -0 "$server_pid" 2>/dev/null || fail "serve exited: $(cat "$work/serve.log")"
  sleep 0.2
done
[ -n "$address" ] || fail "serve did not start: $(cat "$work/serve.log")"
node -e '
  const https = require("https");
  const fs = require("fs");
  const [address, caFile] = process.argv.slice(1);
  https.get(address + "/readyz", { ca: fs.readFileSync(caFile) }, (res) => {
    if (res.statusCode !== 200) { console.error("readyz " + res.statusCode); process.exit(1); }
    res.resume();
  }).on("error", (e) => { console.error(e.message); process.exit(1); });
' "$address" certs/demo/ca.crt
kill -TERM "$server_pid"
wait "$server_pid" || fail "serve did not exit 0 on SIGTERM"
server_pid=''
echo "pack-smoke: $(basename "$tarball") installs with production dependencies only; check exits 0 and 1 as it should; serve answers on $address"
