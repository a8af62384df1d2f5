#!/usr/bin/env bash
# recrypt mail encrypt / decrypt (docs/MAIL.md): messages to a list (a group) read by
# Python's own MIME parser, decrypted by a member back to the very bytes sent; a revoked
# member refused with the service's reason; a message not encrypted passes through; a
# malformed one fails, writing nothing.
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
command -v python3 >/dev/null || { echo "python3 missing"; exit 77; }
cd "$WORK"

start_service
for u in alice bob carol; do start_agent "$u"; ok "$u" personal "$u@example.com" --service "$SERVICE_URL"; done
ok alice group create list@example.com
ok alice group add list@example.com bob@example.com --fingerprint "$(fingerprint bob)"
ok alice group add list@example.com carol@example.com --fingerprint "$(fingerprint carol)"

mail_as() {  # mail_as USER OUT mail-args...: stdout to OUT, status in $RC, stderr in $ERR
  local user=$1 out=$2; shift 2
  set +e
  "$RECRYPT" --socket "$WORK/$user/run/agent.sock" mail "$@" >"$out" 2>"$WORK/$user/stderr"
  RC=$?
  set -e
  ERR=$(cat "$WORK/$user/stderr")
}

step "A plain text message in UTF-8, LF line ends"
cat >plain.eml <<'MSG'
Received: from mx.example.com by list.example.com
	for <list@example.com>; Sun, 29 Nov 2026 10:00:00 +0000
From: Alice <alice@example.com>
To: list@example.com
Cc: Dave <dave@example.net>
Subject: Quarterly figures
Date: Sun, 29 Nov 2026 10:00:00 +0000
Message-ID: <q1@example.com>
In-Reply-To: <q0@example.com>
References: <q0@example.com>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit
List-Id: Figures <list.example.com>

Grüße aus Zürich: the figures are up, 12 % over plan.
Ça va très bien.
MSG
mail_as alice plain.enc encrypt -r list@example.com plain.eml
[ "$RC" = 0 ] || die "mail encrypt exited $RC: $ERR"
python3 "$here/mail_check.py" plain.eml plain.enc plain.jcd
# The .jcd part is a .jcd like any other: `recrypt decrypt` opens it, to the moved fields
# and the body.
ok bob decrypt plain.jcd -o plain.inner
printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n' >expected.inner
sed -n '/^$/,$p' plain.eml | tail -n +2 >>expected.inner
same_file expected.inner plain.inner
mail_as bob plain.dec decrypt plain.enc
[ "$RC" = 0 ] || die "mail decrypt exited $RC: $ERR"
same_file plain.eml plain.dec
say "bob read the message back, byte for byte"
# As a filter on stdin too.
"$RECRYPT" --socket "$WORK/carol/run/agent.sock" mail decrypt <plain.enc >plain-stdin.dec
same_file plain.eml plain-stdin.dec

# A list server adds its fields on the way; they stay in the message read back.
{ printf 'Received: from list.example.com by mx.example.net\n'
  printf 'List-Unsubscribe: <mailto:list-leave@example.com>\n'; cat plain.enc; } >relayed.enc
{ printf 'Received: from list.example.com by mx.example.net\n'
  printf 'List-Unsubscribe: <mailto:list-leave@example.com>\n'; cat plain.eml; } >relayed.eml
mail_as bob relayed.dec decrypt relayed.enc
[ "$RC" = 0 ] || die "mail decrypt of a relayed message exited $RC: $ERR"
same_file relayed.eml relayed.dec

step "A multipart/alternative message, CRLF line ends, Subject protected"
{
  printf 'From: Alice <alice@example.com>\r\n'
  printf 'To: list@example.com\r\n'
  printf 'Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?= and the merger\r\n'
  printf 'Date: Sun, 29 Nov 2026 11:00:00 +0000\r\n'
  printf 'Message-ID: <q2@example.com>\r\n'
  printf 'MIME-Version: 1.0\r\n'
  printf 'Content-Type: multipart/alternative;\r\n boundary="alt-42"\r\n'
  printf '\r\n'
  printf 'preamble\r\n'
  printf -- '--alt-42\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n'
  printf 'The merger closes Friday. Grüße.\r\n'
  printf -- '--alt-42\r\nContent-Type: text/html; charset=utf-8\r\n\r\n'
  printf '<p>The merger closes <b>Friday</b>. Grüße.</p>\r\n'
  printf -- '--alt-42--\r\n'
} >alt.eml
mail_as alice alt.enc encrypt --protect-subject -r list@example.com alt.eml
[ "$RC" = 0 ] || die "mail encrypt --protect-subject exited $RC: $ERR"
python3 "$here/mail_check.py" alt.eml alt.enc alt.jcd --protected-subject
! grep -q merger alt.enc || die "the protected subject or the body shows outside"
head -1 alt.enc | grep -q $'\r$' || die "the encrypted message lost the CRLF line ends"
mail_as carol alt.dec decrypt alt.enc
[ "$RC" = 0 ] || die "mail decrypt exited $RC: $ERR"
same_file alt.eml alt.dec
say "carol read it back, Subject and all"

step "A message with no MIME fields, encrypted offline from the list's exported profile"
printf 'From: dave@example.net\nTo: list@example.com\nSubject: hello\n\nplain ASCII, no MIME\n' >bare.eml
ok alice group export list@example.com -o list.group
"$RECRYPT" --socket /nonexistent mail encrypt -R list.group bare.eml >bare.enc || die "offline mail encrypt failed"
python3 "$here/mail_check.py" bare.eml bare.enc bare.jcd
mail_as bob bare.dec decrypt bare.enc
same_file bare.eml bare.dec

step "A message not encrypted passes through unchanged"
mail_as bob pass.out decrypt plain.eml
[ "$RC" = 0 ] || die "pass-through exited $RC: $ERR"
same_file plain.eml pass.out
printf 'not a message at all\n' >junk.txt
mail_as bob junk.out decrypt junk.txt
same_file junk.txt junk.out

step "A malformed encrypted message fails and writes nothing"
grep -v -- '--$' plain.enc >truncated.enc   # the close delimiter gone
mail_as bob truncated.out decrypt truncated.enc
[ "$RC" = 5 ] || die "truncated message: exit $RC, expected 5: $ERR"
grep -q "no close delimiter" <<<"$ERR" || die "truncated message: $ERR"
[ ! -s truncated.out ] || die "a failed decryption wrote output"
sed 's/^Version: 1/Version: 9/' plain.enc >v9.enc
mail_as bob v9.out decrypt v9.enc
[ "$RC" = 5 ] && grep -q "version" <<<"$ERR" || die "version 9: exit $RC: $ERR"
[ ! -s v9.out ] || die "a failed decryption wrote output"
mail_as alice twice.out encrypt -r list@example.com plain.enc
[ "$RC" = 5 ] && grep -q "encrypted already" <<<"$ERR" || die "encrypting twice: exit $RC: $ERR"
mail_as alice none.out encrypt plain.eml
[ "$RC" = 5 ] && grep -q "no recipients" <<<"$ERR" || die "no recipient: exit $RC: $ERR"

step "Alice revokes Carol; Carol is refused with the service's reason"
ok alice group revoke list@example.com carol@example.com
mail_as carol revoked.out decrypt plain.enc
[ "$RC" = 4 ] || die "revoked member: exit $RC, expected 4: $ERR"
grep -q "revoked" <<<"$ERR" || die "revoked member, not the service's reason: $ERR"
[ ! -s revoked.out ] || die "a refused decryption wrote output"
say "carol: $ERR"
mail_as bob still.dec decrypt plain.enc
same_file plain.eml still.dec
echo "mail: ok"
