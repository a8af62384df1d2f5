#!/usr/bin/env bash
# Members on other services, as in the walkthrough of draft -00 §4: Alice (alice@example.com)
# administers friends@example.com at example.com's service; Bob and Carol have their profiles
# at example.net's. Both services speak TLS with certificates of one test CA, and agents find
# them by DNS SRV (_recrypt._tcp.DOMAIN) from a dnsmasq on a loopback port.
# Usage: BUILD=build tests/cli/federation.sh   (VERBOSE=1 prints every command)
here=$(cd "$(dirname "$0")" && pwd)
DNSMASQ=${DNSMASQ:-/usr/sbin/dnsmasq}
if [ ! -x "$DNSMASQ" ]; then echo "dnsmasq is missing: skipped"; exit 77; fi
command -v openssl >/dev/null || { echo "openssl is missing: skipped"; exit 77; }
command -v python3 >/dev/null || { echo "python3 is missing: skipped"; exit 77; }
command -v sqlite3 >/dev/null || { echo "sqlite3 is missing: skipped"; exit 77; }
source "$here/lib.sh"
cd "$WORK"

step "a test CA, and certificates for example.com and example.net"
ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
openssl req -x509 "${ec[@]}" -days 1 -subj /CN=recrypt-test-ca -keyout ca.key -out ca.pem \
  2>/dev/null
for domain in example.com example.net; do
  openssl req "${ec[@]}" -subj "/CN=$domain" -keyout "$domain.key" -out "$domain.csr" 2>/dev/null
  printf 'subjectAltName=DNS:%s\n' "$domain" >"$domain.ext"
  openssl x509 -req -in "$domain.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 \
    -extfile "$domain.ext" -out "$domain.pem" 2>/dev/null
done

# start_domain_service DOMAIN: recryptd over TLS with DOMAIN's certificate, calling itself
# https://DOMAIN as clients that found it by SRV expect; sets PORT_<domain with _>.
start_domain_service() {
  local domain=$1 dir="$WORK/service-$1" line
  mkdir -p "$dir"
  "$RECRYPTD" --listen 127.0.0.1:0 --db "$dir/recryptd.db" \
    --cert "$domain.pem" --key "$domain.key" \
    --audience "https://$domain" >"$dir/out" 2>>"$dir/log" &
  PIDS+=($!)
  line=$(wait_for_line "$dir/out" "listening on")
  eval "PORT_${domain//./_}=${line##*:}"
}
start_domain_service example.com
start_domain_service example.net
say "example.com on port $PORT_example_com, example.net on port $PORT_example_net"

step "dnsmasq answers _recrypt._tcp.example.com and .net with those ports on localhost"
# A free UDP port; dnsmasq needs it for TCP too, so a start that fails is tried on another.
free_udp_port() {
  python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
for _ in 1 2 3 4 5; do
  DNS_PORT=$(free_udp_port)
  "$DNSMASQ" --keep-in-foreground --conf-file=/dev/null --pid-file= --no-resolv --no-hosts \
    --bind-interfaces --listen-address=127.0.0.1 --port="$DNS_PORT" \
    --local=/example.com/ --local=/example.net/ --local=/example.org/ \
    --srv-host="_recrypt._tcp.example.com,localhost,$PORT_example_com,0,0" \
    --srv-host="_recrypt._tcp.example.net,localhost,$PORT_example_net,0,0" >dnsmasq.log 2>&1 &
  DNS_PID=$!
  sleep 0.3
  if kill -0 "$DNS_PID" 2>/dev/null; then PIDS+=("$DNS_PID"); break; fi
  DNS_PID=
done
[ -n "$DNS_PID" ] || { cat dnsmasq.log >&2; die "dnsmasq did not start"; }
FED=(--dns-server "127.0.0.1:$DNS_PORT" --ca-file "$WORK/ca.pem")

step "agents for Alice, Bob, Carol and a sender; profiles at their domains' services"
for user in alice bob carol sender; do start_agent "$user" "${FED[@]}"; done
ok alice personal alice@example.com --service example.com
ok bob personal bob@example.net --service example.net
ok carol personal carol@example.net --service example.net

step "Alice creates friends@example.com and adds Bob and Carol from example.net"
ok alice group create friends@example.com
refused 4 alice group add friends@example.com bob@example.net
grep -q "is not known to this agent yet" <<<"$ERR" \
  || die "an unconfirmed account was not refused for its reason: $ERR"
ok alice group add friends@example.com bob@example.net --fingerprint "$(fingerprint bob)"
say "$OUT"
ok alice group add friends@example.com carol@example.net --fingerprint "$(fingerprint carol)"
say "$OUT"
ok alice group show friends@example.com
grep -q "bob@example.net .* ACTIVE" <<<"$OUT" || die "Bob is not an active member: $OUT"

step "a sender with no profile encrypts to the group by name, found at example.com"
printf 'Dinner on Friday.\n' >invite.txt
ok sender encrypt -r friends@example.com invite.txt
ok sender known list
grep -q "friends@example.com" <<<"$OUT" || die "the group name was not pinned: $OUT"

step "a group whose name's domain serves none is found at the sender's own service"
# example.org's service (port 9) is closed: the lookup falls back to example.net, which hosts it.
start_agent frank "${FED[@]}" --service-for example.org=http://127.0.0.1:9
ok frank personal frank@example.net --service example.net
ok carol group create club@example.org
printf 'Club news.\n' >club.txt
ok frank encrypt -r club@example.org club.txt
ok carol decrypt club.txt.jcd -o carol-club.txt
same_file club.txt carol-club.txt

step "before joining, Bob's agent does not contact example.com for the group"
refused 4 bob decrypt invite.txt.jcd -o early.txt
grep -q "recrypt group join friends@example.com" <<<"$ERR" \
  || die "the refusal does not say to join: $ERR"
say "Bob: $ERR"

step "Bob and Carol join; Bob reads"
ok bob group join friends@example.com
say "$OUT"
ok carol group join friends@example.com
as bob group join nosuchgroup@example.com
[ "$RC" != 0 ] && grep -q "no such profile" <<<"$ERR" \
  || die "joining a group that is not there: $RC $ERR"
ok bob decrypt invite.txt.jcd -o bob-invite.txt
same_file invite.txt bob-invite.txt
say "Bob read: $(cat bob-invite.txt)"
ok carol decrypt invite.txt.jcd -o carol-invite.txt
same_file invite.txt carol-invite.txt

step "Alice revokes Carol; Carol is refused"
ok alice group revoke friends@example.com carol@example.net
refused 4 carol decrypt invite.txt.jcd -o carol-again.txt
grep -q "member is revoked" <<<"$ERR" || die "Carol was not refused for her revocation: $ERR"
say "Carol: $ERR"

step "Bob adds a device at example.net; his agent tells example.com, where he joined, at once"
ok bob device add phone
# signers of Bob's profile at the group's service: the profile key and each device's.
signers_at_com() {
  sqlite3 -batch "$WORK/service-example.com/recryptd.db" \
    "SELECT count(*) FROM signers WHERE profile_id =
       (SELECT id FROM profiles WHERE name = 'bob@example.net')"
}
[ "$(signers_at_com)" = 3 ] \
  || die "example.com does not know Bob's new device: $(signers_at_com) signers"

step "Alice rotates; Bob reads old and new, Carol not the new"
ok alice group rotate friends@example.com
[ "$(signers_at_com)" = 3 ] \
  || die "after the rotation example.com knows $(signers_at_com) signers of Bob's, not 3"
say "$OUT"
printf 'Dinner moved to Saturday.\n' >invite2.txt
ok sender encrypt -r friends@example.com invite2.txt
ok bob decrypt invite2.txt.jcd -o bob-invite2.txt
same_file invite2.txt bob-invite2.txt
ok bob decrypt invite.txt.jcd -o bob-old.txt
same_file invite.txt bob-old.txt
refused 4 carol decrypt invite2.txt.jcd -o carol-invite2.txt
[ ! -e carol-invite2.txt ] || die "a refused decryption left a file behind"
say "Carol: $ERR"

step "Bob leaves the group at example.com; his agent no longer asks that service for it"
ok bob group leave friends@example.com
say "$OUT"
refused 4 bob decrypt invite2.txt.jcd -o bob-left.txt
grep -q "which this agent does not contact" <<<"$ERR" || die "after leaving: $ERR"
ok alice group show friends@example.com
grep -q "bob@example.net .* REVOKED" <<<"$OUT" || die "Bob's leaving is not in the chain: $OUT"

step "a group Bob never joined, at a third service: that service gets no request"
start_service
THIRD=$SERVICE_URL
start_agent dave "${FED[@]}"
ok dave personal dave@example.org --service "$THIRD"
ok dave group create team@example.org
ok dave group add team@example.org bob@example.net --fingerprint "$(fingerprint bob)"
printf 'Team notes.\n' >notes.txt
ok dave encrypt -r team@example.org notes.txt
stop_service
# The third service's port now records every connection made to it.
python3 - "${THIRD##*:}" "$WORK/third-connections" <<'PYEOF' &
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8)
open(sys.argv[2] + ".ready", "w").close()
while True:
    c, _ = s.accept()
    with open(sys.argv[2], "a") as f: f.write("connection\n")
    c.close()
PYEOF
PIDS+=($!)
for _ in $(seq 1 100); do [ -e "$WORK/third-connections.ready" ] && break; sleep 0.05; done
refused 4 bob decrypt notes.txt.jcd -o bob-notes.txt
grep -q "group team@example.org recrypts at $THIRD, which this agent does not contact" <<<"$ERR" \
  || die "the document was not refused for its service: $ERR"
grep -q "recrypt group join team@example.org" <<<"$ERR" \
  || die "the refusal does not say to join: $ERR"
[ ! -s "$WORK/third-connections" ] || die "Bob's agent connected to the third service"
say "Bob: $ERR"

step "federation: all checks passed"
