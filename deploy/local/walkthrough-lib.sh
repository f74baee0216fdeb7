# Shared by the walkthroughs (sourced, not run): the server's address, the
# output helpers, logging in as a demo account, and calling the API with the
# status expected. Needs curl and jq; builds bin/whistle (the phone).
B=${WHISTLE_URL:-http://127.0.0.1:8080}
say() { printf '\n### %s\n' "$*"; }
fail() { printf 'walkthrough: %s\n' "$*" >&2; exit 1; }
for c in jq curl; do command -v $c >/dev/null || fail "needs $c"; done
curl -sf "$B/readyz" >/dev/null || fail "no ready server at $B (make run)"
go build -o bin/whistle ./backend/cmd/whistle

# login USERNAME: an access token of the demo account.
login() {
  curl -sf -X POST "$B/v1/auth/login" -H 'Content-Type: application/json' \
    -d "{\"username\":\"$1\",\"password\":\"whistle-demo\"}" | jq -r .access_token
}
# api WANT METHOD PATH TOKEN [BODY]: calls the API and fails unless it
# answers HTTP WANT; the answer's body is in $R.
api() {
  local out status
  out=$(mktemp)
  status=$(curl -s -o "$out" -w '%{http_code}' -X "$2" "$B$3" -H "Authorization: Bearer $4" \
    -H 'Content-Type: application/json' ${5:+-d "$5"})
  R=$(cat "$out")
  rm -f "$out"
  [ "$status" = "$1" ] || fail "$2 $3: HTTP $status, expected $1: $R"
}
