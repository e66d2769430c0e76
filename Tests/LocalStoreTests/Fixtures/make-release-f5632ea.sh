#!/usr/bin/env bash
# Makes server and replica files with the release at f5632ea, for the upgrade test.
set -euo pipefail
# Run from a checkout of f5632ea after `swift build`.
B="$(git rev-parse --show-toplevel)/.build/debug"
D=$(mktemp -d); cd "$D"
"$B/sync-server" --db server.sqlite --create --port 0 > server.out 2> server.err &
SERVER=$!
for i in $(seq 50); do grep -q listening server.out 2>/dev/null && break; sleep 0.2; done
URL=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' server.out)
ALICE=$("$B/sync-server" analyst add alice --db server.sqlite)
BOB=$("$B/sync-server" analyst add bob --db server.sqlite)
"$B/sync-server" analyst add carol --db server.sqlite >/dev/null
"$B/sync-server" analyst revoke carol --db server.sqlite
C="$B/sync-client"
$C --replica alice.sqlite init --server "$URL" --token "$ALICE"
$C --replica bob.sqlite init --server "$URL" --token "$BOB"
$C --replica alice.sqlite cell create --number 20 --title "Burden-Sharing & Alliance Architecture" --field trajectory=Advancing
$C --replica alice.sqlite cell create --number 21 --title "Deterrence by Denial" --field tier=1
$C --replica alice.sqlite signal add --date 2026-11-02 --title "Summit communique" --cells 20 || true
$C --replica alice.sqlite sync
$C --replica bob.sqlite sync
$C --replica alice.sqlite cell set 20 trajectory Holding
$C --replica bob.sqlite cell set 20 trajectory Drifting
$C --replica bob.sqlite cell set 21 title "Deterrence by Denial (revised)"
$C --replica alice.sqlite sync; $C --replica bob.sqlite sync; $C --replica alice.sqlite sync
# Bob's offline writes, pushed only after the upgrade.
$C --replica bob.sqlite cell set 21 tier 2
$C --replica bob.sqlite cell set 20 trend Improving || $C --replica bob.sqlite cell set 20 title "Burden-Sharing"
kill -TERM $SERVER; wait $SERVER || true
$C --replica alice.sqlite status
$C --replica bob.sqlite status
ls -la
echo "$D"
