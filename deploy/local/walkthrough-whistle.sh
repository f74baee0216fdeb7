#!/usr/bin/env bash
# One whistle (吹哨) from filing to the assessment, against `make run` (issue
# 16): the street files the matter with the district grid center and blows an
# emergency whistle calling the squad (cg) and market supervision (sj); cg
# acknowledges on time, reports arrival and the finish from a phone offline
# (counted at the time of the act); sj lets the acknowledgement lapse, River
# escalates it to the street director and the district coordination office,
# sj acknowledges late, objects (not its remit) and is overruled, then
# reports; the street closes the whistle, the community and the source rate
# it, the resident's satisfaction is recorded; then the departments' quarter
# in the assessment report and its CSV. Each step prints what the server
# answered.
#
# The emergency deadlines are minutes long by default; run the server with
# short ones so that the walk lasts a minute:
#
#   WHISTLE_WHISTLE_DEADLINES=emergency=20s,emergency.arrive=10m,emergency.finish=1h make run
#   deploy/local/walkthrough-whistle.sh   # in another shell (needs curl and jq)
set -euo pipefail
cd "$(dirname "$0")/../.."
. deploy/local/walkthrough-lib.sh

GRID=$(login grid.a) LEADER=$(login leader.a) OFFICER=$(login officer.a) REVIEWER=$(login reviewer.sj)
COMMUNITY=$(login community.a1) ADMIN=$(login admin)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
steps='.calls[] | .department_code as $d | .steps[] | "  \($d) \(.step)\tdue \(.due[11:19])  done \(.report.at // "-" | if . == "-" then . else .[11:19] end)  late \(if .report then (.report.late | tostring) else "-" end)  escalated \(.escalated)"'

say "1. grid.a files the matter with the district grid center, then blows an emergency whistle (应急哨) calling cg and sj"
filed=$(date -u -d '-2 minutes' +%FT%TZ)
body=$(jq -n --arg f "$filed" '{type: "emergency", scope: "individual", source: "hotline", channel: "12345",
  description: "南锣鼓巷 58 号餐馆后厨油烟管道起火后仍违规经营，群众反映强烈",
  location: {address: "东城区南锣鼓巷 58 号", lat: 39.9375, lng: 116.4035}, receiver: "钱玉兰",
  opinion: "请城管、市场监管立即到场联合处置", departments: ["cg", "sj"],
  filing: {filed_at: $f, filed_by: "区网格中心 周敏", reference: "DC-WG-2026-1203"}}')
api 201 POST /v1/whistles "$GRID" "$body"; w=$R
id=$(jq -r .id <<<"$w")
jq -c '{number, type, scope, source, state, filing}' <<<"$w"
jq -r "$steps" <<<"$w"

say "2. cg (officer.a, a-cg-03) acknowledges at once, online"
api 200 POST "/v1/whistles/$id/reports" "$OFFICER" '{"department_code":"cg","step":"ack"}'
jq -r "$steps" <<<"$R"

say "3. sj lets its acknowledgement lapse: at the due instant River's whistle.escalate escalates it"
due=$(jq -r '.calls[] | select(.department_code == "sj") | .steps[] | select(.step == "ack") | .due' <<<"$R")
while [ "$(date -u +%s)" -lt $(( $(date -u -d "$due" +%s) + 6 )) ]; do sleep 1; done
api 200 GET "/v1/whistles/$id" "$LEADER"
jq -c '.escalations' <<<"$R"
api 200 GET "/v1/admin/audit?entity_type=whistle&entity_id=$id" "$ADMIN"
jq -r '.entries[] | "  trail #\(.seq) \(.at)  \(.action)"' <<<"$R"

say "4. sj (reviewer.sj) acknowledges late, then objects: not its remit"
api 200 POST "/v1/whistles/$id/reports" "$REVIEWER" '{"department_code":"sj","step":"ack"}'
jq -r "$steps" <<<"$R"
api 200 POST "/v1/whistles/$id/objections" "$REVIEWER" '{"department_code":"sj","reasons":"油烟管道属城管职责，本局仅负责食品经营许可"}'
jq -c '[.objections[] | {department_code, outcome, reasons}]' <<<"$R"

say "5. the street overrules: the restaurant is still serving food, sj must report on its original deadlines"
api 200 POST "/v1/whistles/$id/rulings" "$LEADER" '{"department_code":"sj","outcome":"overruled","reason":"涉及违规经营餐饮，须市场监管到场核查许可"}'
jq -c '[.objections[] | {department_code, outcome}]' <<<"$R"

say "6. on site, offline: officer.a's phone records cg's arrival and finish; synced afterwards, counted at the time of each act"
export WHISTLE_DEVICE_DIR=$T/phone WHISTLE_DEVICE_PASSWORD=whistle-demo
bin/whistle device init "$B" officer.a "张伟的手机" | sed 's/^/  /'
arrived=$(date -u +%FT%TZ)
printf '{"department_code":"cg","at":"%s","location":{"address":"东城区南锣鼓巷 58 号","lat":39.93751,"lng":116.40352}}' "$arrived" >"$T/arrive.json"
bin/whistle device record whistle.arrive@1 "$T/arrive.json" "$id" | sed 's/^/  /'
sleep 2
finished=$(date -u +%FT%TZ)
printf '{"department_code":"cg","at":"%s","result":"已责令停业整改，清理油烟管道并暂扣违规燃气罐两个"}' "$finished" >"$T/finish.json"
bin/whistle device record whistle.finish@1 "$T/finish.json" "$id" | sed 's/^/  /'
sleep 3
bin/whistle device push | sed 's/^/  /'

say "7. sj arrives and finishes, online"
api 200 POST "/v1/whistles/$id/reports" "$REVIEWER" '{"department_code":"sj","step":"arrive","location":{"address":"东城区南锣鼓巷 58 号"}}'
api 200 POST "/v1/whistles/$id/reports" "$REVIEWER" '{"department_code":"sj","step":"finish","result":"已核查食品经营许可，责令整改期间停止经营"}'
jq -r "$steps" <<<"$R"

say "8. the street closes the whistle; the source (grid.a) and the community rate it; the resident is asked (hotline)"
api 200 POST "/v1/whistles/$id/closure" "$GRID" '{"result":"油烟管道已清理，餐馆停业整改，隐患消除"}'
jq -c '{state, closure}' <<<"$R"
api 200 POST "/v1/whistles/$id/rating" "$COMMUNITY" '{"rating":"basically_satisfied","comment":"处置及时，但市场监管到场偏晚"}'
api 200 POST "/v1/whistles/$id/rating" "$GRID" '{"rating":"satisfied"}'
sleep 1
api 200 POST "/v1/whistles/$id/satisfaction" "$GRID" "{\"answer\":\"satisfied\",\"at\":\"$(date -u +%FT%TZ)\"}"
jq -c '{ratings: [.ratings[] | {rating, comment}], satisfaction: [.satisfaction[] | {answer}]}' <<<"$R"

say "9. the departments' quarter in the assessment report (sj, cg) and its CSV"
q="$(date -u +%Y)Q$(( ($(date -u +%-m) - 1) / 3 + 1 ))"
for d in sj cg; do
  api 200 GET "/v1/assessment/departments/$d?period=$q" "$ADMIN"
  jq -r '.departments[0] | "  \(.department_code): service score \(.score.points)/\(.score.out_of)\(if .score.partial then " (partial)" else "" end)",
    (.score.items[] | "    item \(.code) weight \(.weight)  \(.figure) = \(.value // "-")  (\(.why))"),
    (.values[] | select(.code | test("^whistle")) | select(.available and .value != null and .value != 0) | "    \(.code) = \(.value)")' <<<"$R"
done
api 200 GET "/v1/assessment/departments/sj?period=$q" "$ADMIN"
link=$(jq -r '[.departments[0].values[] | select(.code | test("^whistle")) | select(.available) | .items[0]][0] // empty' <<<"$R")
if [ -n "$link" ]; then
  echo "  what the first whistle figure counts: GET $link"
  api 200 GET "$link" "$ADMIN"
  jq -c '.[0:3][]' <<<"$R" | sed 's/^/    /'
fi
echo "  the CSV (GET /v1/assessment/departments.csv?period=$q), sj's whistle and score lines:"
curl -sf "$B/v1/assessment/departments.csv?period=$q" -H "Authorization: Bearer $ADMIN" >"$T/q.csv"
head -1 "$T/q.csv" | sed 's/^/    /'
grep -E ',sj,whistle' "$T/q.csv" | grep -vE ',true,(0)?,' | head -12 | sed 's/^/    /' || true
printf '\nwalkthrough: whistle %s closed, escalated once, in the quarter %s\n' "$(jq -r .number <<<"$w")" "$q"
