#!/usr/bin/env bash
# One case from its conclusion to its archive, against `make run` (issue 15):
# a market-supervision inspection record with two photos becomes a case,
# handled to its conclusion; the department's reviewer (under the review grant
# the routing opened) returns a photo, the officer's phone answers offline with
# a new photo and a note, the reviewer accepts; the team leader's closing is
# refused for the party's missing signature, the record is corrected (the
# refusal and a witness) and approved, the case is closed with its archive
# number and is read-only; its export bundle verifies with the server's public
# key alone, and a copy with one byte changed does not. Each step prints what
# the server answered.
#
#   make run                              # in one shell
#   deploy/local/walkthrough-archive.sh   # in another (needs curl, jq, python3)
#
# WHISTLE_URL (default http://127.0.0.1:8080) names the server; the phone's
# state and the bundles go to a temporary directory.
set -euo pipefail
cd "$(dirname "$0")/../.."
. deploy/local/walkthrough-lib.sh
command -v python3 >/dev/null || fail "needs python3"
b64() { printf '%s' "$1" | base64 -w0; }
# upload FILE RECORD-ID TOKEN [CLIENT-ID]: one tus creation-with-upload of a
# photo for the record (under the client id the record expects it by);
# prints the evidence id.
upload() {
  local sha len meta loc
  sha=$(sha256sum "$1" | cut -d' ' -f1)
  len=$(stat -c %s "$1")
  meta="client_id $(b64 "${4:-$(cat /proc/sys/kernel/random/uuid)}"),sha256 $(b64 "$sha"),content_type $(b64 image/jpeg),kind $(b64 photo)"
  meta="$meta,captured_at $(b64 "$(date -u +%FT%TZ)"),record_client_id $(b64 "$2")"
  loc=$(curl -sf -D - -o /dev/null -X POST "$B/v1/evidence/uploads" -H "Authorization: Bearer $3" \
    -H 'Tus-Resumable: 1.0.0' -H "Upload-Length: $len" -H "Upload-Metadata: $meta" \
    -H 'Content-Type: application/offset+octet-stream' --data-binary "@$1" | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
  [ -n "$loc" ] || fail "upload of $1 failed"
  basename "$loc"
}

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
OFFICER=$(login officer.a) LEADER=$(login leader.a) REVIEWER=$(login reviewer.sj)
now=$(date -u +%FT%TZ)
checkin=$(date -u -d '-10 minutes' +%FT%TZ)
rec=$(cat /proc/sys/kernel/random/uuid)
# Three photos of the shop: distinct JPEGs made here, new bytes on every run.
mkdir -p "$T/photos"
cat >"$T/photos/main.go" <<'GO'
package main

import (
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"time"
)

func main() {
	seed := time.Now().UnixNano()
	for i, name := range os.Args[1:] {
		img := image.NewRGBA(image.Rect(0, 0, 640, 480))
		for y := range 480 {
			for x := range 640 {
				img.Set(x, y, color.RGBA{uint8(x + i*80), uint8(y + int(seed%97)), uint8(i * 90), 255})
			}
		}
		f, err := os.Create(name)
		if err != nil {
			panic(err)
		}
		if err := jpeg.Encode(f, img, &jpeg.Options{Quality: 80 + i}); err != nil {
			panic(err)
		}
		f.Close()
	}
}
GO
photo1=$T/photos/1.jpg photo2=$T/photos/2.jpg photo3=$T/photos/3.jpg
(cd "$T/photos" && go run main.go "$photo1" "$photo2" "$photo3")
cid1=$(cat /proc/sys/kernel/random/uuid) cid2=$(cat /proc/sys/kernel/random/uuid)
expect() { jq -n --arg c "$2" --arg s "$(sha256sum "$1" | cut -d' ' -f1)" \
  --argjson n "$(stat -c %s "$1")" '{client_id: $c, sha256: $s, size: $n, content_type: "image/jpeg", kind: "photo"}'; }

say "1. officer.a (a-cg-03) inspects 南锣小吃店 with a-sj-01 and a-sj-02 (SJ-004, prices not marked): two photos; the party neither signs nor is a witness recorded"
record=$(jq -n --arg id "$rec" --arg now "$now" --arg ci "$checkin" --argjson e1 "$(expect $photo1 $cid1)" --argjson e2 "$(expect $photo2 $cid2)" '{
  id: $id, team_code: "team-st-a", matter_codes: ["SJ-004"],
  location: {lat: 39.9390, lon: 116.4030, accuracy_m: 8, address: "东城区南锣鼓巷 88 号"},
  started_at: {wall: $now, since_boot_ms: 5000000},
  crew: [{officer_code: "a-cg-03", checked_in_at: $ci}, {officer_code: "a-sj-01", checked_in_at: $ci}, {officer_code: "a-sj-02", checked_in_at: $ci}],
  party: {kind: "organisation", name: "南锣小吃店", id_type: "uscc", id_number: "91110101MA01ABCD2X", phone: "13912345678"},
  findings: "商品未明码标价", phone_tier: "onsite_inspection", measures: [],
  record_text: "现场检查发现该店铺所售商品均未明码标价，责令当场改正。",
  signatures: {officers: []}, evidence: [$e1, $e2]}')
api 201 POST /v1/inspections "$OFFICER" "$record"
jq -c '{id: .record.id, version, status, review, exceptions: [.assessment.exceptions[]?.code]}' <<<"$R"
ev1=$(upload $photo1 "$rec" "$OFFICER" $cid1); ev2=$(upload $photo2 "$rec" "$OFFICER" $cid2)
api 200 GET "/v1/inspections/$rec" "$OFFICER"
jq -c '{status, photos: ["'"$ev1"'", "'"$ev2"'"]}' <<<"$R"
if [ "$(jq -r .review <<<"$R")" = pending ]; then
  api 200 POST "/v1/inspections/$rec/review" "$LEADER" '{"version":1,"decision":"approve"}'
  echo "  leader.a approves the flagged record"
fi

say "2. leader.a opens a case from the record: routed by authority to market supervision (sj), whose reviewers get a grant"
api 201 POST /v1/cases "$LEADER" "{\"inspection_id\":\"$rec\"}"; c=$R
id=$(jq -r .id <<<"$c")
jq -c '{id, state, department: .department_code, assignee}' <<<"$c"
api 200 GET "/v1/cases/$id/grants" "$LEADER"
jq -r '.[] | "  grant \(.department_code)  live \(.live)  until \(.expires_at)  download \(.download_allowed)  unmasked \(.unmasked)"' <<<"$R"

say "3. handled to its conclusion: reassigned to officer.a, filed, the party told its rights, no penalty (corrected on the spot), served, concluded"
api 200 POST "/v1/cases/$id/reassignment" "$LEADER" '{"officer_code":"a-cg-03","reason":"张伟现场检查，熟悉情况"}'
api 200 POST "/v1/cases/$id/transitions" "$OFFICER" '{"to":"filed"}'
api 200 POST "/v1/cases/$id/transitions" "$OFFICER" '{"to":"investigating"}'
api 200 POST "/v1/cases/$id/notifications" "$OFFICER" '{"note":"已告知违法事实、理由、依据及陈述申辩权利"}'
api 200 POST "/v1/cases/$id/transitions" "$OFFICER" '{"to":"decided","outcome":"no_penalty"}'
api 200 POST "/v1/cases/$id/transitions" "$OFFICER" '{"to":"served","service_recorded":true}'
api 200 POST "/v1/cases/$id/transitions" "$LEADER" '{"to":"concluded"}'
jq -c '{state, outcome, version, assignee}' <<<"$R"

say "4. reviewer.sj, under the grant: the case's evidence (masked party), a thumbnail; returns photo 1 (missing angle)"
api 200 GET "/v1/cases/$id/evidence" "$REVIEWER"
jq -r '.[] | "  \(.id)  \(.kind)  \(.status)  sha256 \(.declared_sha256[0:16])…"' <<<"$R"
api 200 GET "/v1/inspections/$rec" "$REVIEWER"
jq -c '{masked, party_phone: .record.party.phone}' <<<"$R"
curl -sf -o /dev/null -w '  thumbnail: HTTP %{http_code}\n' "$B/v1/evidence/$ev1/thumbnail" -H "Authorization: Bearer $REVIEWER" || true
api 201 POST "/v1/cases/$id/evidence-reviews" "$REVIEWER" \
  "{\"verdict\":\"returned\",\"items\":[{\"evidence_id\":\"$ev1\",\"reason\":\"missing_angle\",\"note\":\"缺少店门及价签全景\"}]}"
review=$(jq -r .id <<<"$R")
jq -c '{id, verdict, status, items}' <<<"$R"

say "5. officer.a's phone pulls the return, takes the missing photo, and answers offline; then syncs"
export WHISTLE_DEVICE_DIR=$T/phone WHISTLE_DEVICE_PASSWORD=whistle-demo
bin/whistle device init "$B" officer.a "张伟的手机" | sed 's/^/  /'
bin/whistle device pull | sed 's/^/  /'
ev3=$(upload $photo3 "$rec" "$OFFICER")
printf '{"note":"已补拍店门及价签全景","evidence_ids":["%s"],"version":1}' "$ev3" >"$T/answer.json"
bin/whistle device record evidence_review.answer@1 "$T/answer.json" "$review" | sed 's/^/  /'
bin/whistle device push | sed 's/^/  /'
api 200 GET "/v1/evidence-reviews/$review" "$REVIEWER"
jq -c '{status, answer}' <<<"$R"

say "6. reviewer.sj accepts the evidence"
api 201 POST "/v1/cases/$id/evidence-reviews" "$REVIEWER" '{"verdict":"accepted"}'
jq -c '{verdict, status}' <<<"$R"

say "7. leader.a's closing is refused: the party neither signed nor refused before a witness (强制法 art 18)"
api 200 GET "/v1/cases/$id/archive/check" "$LEADER"
jq -r '"  score \(.check.score)  complete \(.check.complete)", (.check.items[] | "  \(if .met then "met  " else "UNMET" end) \(.code)  \(.basis)\(if .met then "" else "  -> " + (.missing | map(.link) | join(", ")) end)")' <<<"$R"
version=$(jq -r .version <<<"$(curl -sf "$B/v1/cases/$id" -H "Authorization: Bearer $LEADER")")
api 409 POST "/v1/cases/$id/archive" "$LEADER" "{\"version\":$version}"
jq -c '{status, code, missing: [.missing[] | {code, links: [.missing[].link]}]}' <<<"$R"

say "8. the fix: officer.a corrects the record (the party refused to sign, the community grid worker witnessed); leader.a approves it if it is flagged"
api 200 GET "/v1/inspections/$rec" "$OFFICER"; v=$(jq -r .version <<<"$R")
fixed=$(jq '.signatures = {officers: [], party: {refused: true}, witness: {name: "社区网格员王某"}}' <<<"$record")
api 200 POST "/v1/inspections/$rec/amendments" "$OFFICER" "$(jq -n --argjson r "$fixed" --argjson v "$v" '{base_version: $v, reason: "补记当事人拒签及见证人", record: $r}')"
v=$(jq -r .version <<<"$R")
if [ "$(jq -r .review <<<"$R")" = pending ]; then
  api 200 POST "/v1/inspections/$rec/review" "$LEADER" "{\"version\":$v,\"decision\":\"approve\"}"
fi
jq -c '{version, review, signatures: .record.signatures}' <<<"$R"

say "9. leader.a closes the archive: its number, gapless per street and year"
version=$(jq -r .version <<<"$(curl -sf "$B/v1/cases/$id" -H "Authorization: Bearer $LEADER")")
api 201 POST "/v1/cases/$id/archive" "$LEADER" "{\"version\":$version}"
jq -c '{number, closed_at, closed_by, score}' <<<"$R"
number=$(jq -r .number <<<"$R")

say "10. the archived case is read-only (409 case_archived); a later correction is an annex"
api 409 POST "/v1/cases/$id/notes" "$OFFICER" '{"text":"补充情况"}'
jq -c '{status, code, detail}' <<<"$R"
api 409 POST "/v1/cases/$id/evidence-reviews" "$REVIEWER" '{"verdict":"accepted"}'
jq -c '{status, code}' <<<"$R"
api 201 POST "/v1/cases/$id/annexes" "$LEADER" '{"kind":"supplement","text":"当事人已于次日全部明码标价，附整改说明"}'
jq -c '{kind, text, created_by}' <<<"$R"

say "11. the export bundle (streamed ZIP, signed manifest, originals, trail segment to an anchored head)"
curl -sf -o "$T/bundle.zip" "$B/v1/cases/$id/archive/bundle" -H "Authorization: Bearer $LEADER"
python3 -c 'import sys, zipfile; [print("  %8d  %s" % (i.file_size, i.filename)) for i in zipfile.ZipFile(sys.argv[1]).infolist()]' "$T/bundle.zip"
key=$(curl -sf "$B/v1/signing-key" | jq -r .public_key)
echo "  server public key (GET /v1/signing-key): $key"
bin/whistle archive verify "$T/bundle.zip" --key "$key" | sed 's/^/  /'

say "12. a copy with one byte changed in an original, and one with a trail entry altered: each named"
python3 - "$T/bundle.zip" "$T" <<'EOF'
import sys, zipfile
src, out = sys.argv[1], sys.argv[2]
def copy(name, edit):
    zin = zipfile.ZipFile(src)
    with zipfile.ZipFile(f"{out}/{name}", "w", zipfile.ZIP_DEFLATED) as zout:
        for i in zin.infolist():
            zout.writestr(i, edit(i.filename, zin.read(i.filename)))
def byte(path, data):
    if path.startswith("evidence/") and not getattr(byte, "done", False):
        byte.done = True
        data = bytearray(data); data[len(data) // 2] ^= 1; return bytes(data)
    return data
def trail(path, data):
    if path == "trail.segment":
        lines = data.split(b"\n")
        lines[1] = lines[1].replace(b'"action":"', b'"action":"x', 1)
        return b"\n".join(lines)
    return data
copy("tampered-evidence.zip", byte)
copy("tampered-trail.zip", trail)
EOF
for z in tampered-evidence tampered-trail; do
  echo "  \$ whistle archive verify $z.zip"
  if bin/whistle archive verify "$T/$z.zip" --key "$key" 2>&1 | sed 's/^/  /'; then fail "$z.zip verified"; fi
done
printf '\nwalkthrough: case %s archived as %s; its bundle verifies, tampered copies do not\n' "$id" "$number"
