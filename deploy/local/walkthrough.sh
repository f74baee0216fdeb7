#!/usr/bin/env bash
# One 12345 work order from intake to conclusion, against `make run` (the demo
# data, freshly loaded or not): intake and dispatch by nature, the competent
# department's objection, re-categorisation and routing by legal authority
# (with every candidate's reason), reassignment, filing and notes offline on a
# phone (`whistle device`), a legal gate refusing a premature decision, the
# work order's time limit passing and escalating to the team leader (River),
# decision, service, execution and conclusion, with the case's deadlines and
# trail. Each step prints what the server answered.
#
#   make run                      # in one shell
#   deploy/local/walkthrough.sh   # in another (needs curl and jq)
#
# WHISTLE_URL (default http://127.0.0.1:8080) names the server; the phone's
# state goes to a temporary directory.
set -euo pipefail
cd "$(dirname "$0")/../.."
. deploy/local/walkthrough-lib.sh
summary='{state, version, assignee, first_receiver, matter: .matter_code, routing: .routing.reason.code}'

GRID=$(login grid.a) LEADER=$(login leader.a) OFFICER=$(login officer.a) REVIEWER=$(login reviewer.sj) ADMIN=$(login admin)
received=$(date -u -d '-20 minutes' +%FT%TZ)
limit=$(date -u -d '+20 seconds' +%FT%TZ)
number="GD-$(date -u +%Y%m%d%H%M%S)"

say "1. grid.a takes in 12345 work order $number: 无照经营 (SJ-002), single-nature, time limit $limit"
order=$(jq -n --arg r "$received" --arg l "$limit" --arg n "$number" --arg lat "$(awk -v s=$RANDOM 'BEGIN{printf "%.5f", 39.93 + s/3276800}')" '{
  matter_code: "SJ-002", description: "南锣鼓巷一商户无照经营，并占用人行道",
  location: {address: "东城区南锣鼓巷 58 号", lat: ($lat|tonumber), lng: 116.4035},
  source: {kind: "work_order", channel: "12345", work_order_number: $n, nature: "single",
    contact: {name: "李小明", phone: "13911112222"}, received_at: $r, time_limit: $l,
    location: {address: "东城区南锣鼓巷 58 号"}, description: "市民来电反映商户无照经营、占道"}, confirm_new: true}')
api 201 POST /v1/cases "$GRID" "$order"; c=$R
id=$(jq -r .id <<<"$c")
jq -c "$summary" <<<"$c"
jq -r '.routing.reason | "  why: \(.zh) / \(.en)"' <<<"$c"

say "2. the market-supervision department objects (异议): it is an occupation of the pavement, the squad's"
api 200 POST "/v1/cases/$id/objections" "$REVIEWER" '{"reason":"经现场核实为占道经营，属城管执法职责"}'; c=$R
jq -c "$summary" <<<"$c"
jq -r '.routing.reason | "  why: \(.zh) / \(.en)"' <<<"$c"

say "3. the team leader re-categorises it as CG-002 (占道经营): routed again by legal authority"
api 200 POST "/v1/cases/$id/matter" "$LEADER" '{"matter_code":"CG-002","reason":"重新定性为占道经营"}'; c=$R
jq -c "$summary" <<<"$c"
jq -r '.routing.candidates[] | "  \(.officer_code)  \(.reason.code)  \(.reason.zh)"' <<<"$c"

say "4. the team leader reassigns it to a-cg-03 (officer.a, 张伟), who patrols that lane"
api 200 POST "/v1/cases/$id/reassignment" "$LEADER" '{"officer_code":"a-cg-03","reason":"张伟负责南锣鼓巷片区"}'; c=$R
jq -c "$summary" <<<"$c"

say "5. officer.a's phone, offline: files the case (立案) and notes the site visit; then syncs"
export WHISTLE_DEVICE_DIR WHISTLE_DEVICE_PASSWORD=whistle-demo
WHISTLE_DEVICE_DIR=$(mktemp -d)
trap 'rm -rf "$WHISTLE_DEVICE_DIR"' EXIT
bin/whistle device init "$B" officer.a "张伟的手机" | sed 's/^/  /'
printf '{"to":"filed"}' >"$WHISTLE_DEVICE_DIR/file.json"
printf '{"text":"现场复查：商户仍在占道，已拍照取证"}' >"$WHISTLE_DEVICE_DIR/note.json"
bin/whistle device record case.file@1 "$WHISTLE_DEVICE_DIR/file.json" "$id" | sed 's/^/  /'
bin/whistle device record case.note@1 "$WHISTLE_DEVICE_DIR/note.json" "$id" | sed 's/^/  /'
bin/whistle device push | sed 's/^/  /'
api 200 GET "/v1/cases/$id" "$OFFICER"; c=$R
jq -c "$summary" <<<"$c"

say "6. a premature decision is refused by the legal gates (409)"
api 200 POST "/v1/cases/$id/transitions" "$OFFICER" '{"to":"investigating"}'; c=$R
api 409 POST "/v1/cases/$id/transitions" "$OFFICER" '{"to":"decided","outcome":"penalty","penalty":{"fine_yuan":500}}'; p=$R
jq -c '{status, code, unmet: [.refusal.unmet[] | {code, basis, zh}]}' <<<"$p" 2>/dev/null || jq -c . <<<"$p"

say "7. on the phone again, offline: the party told the facts, grounds and rights (处罚法 art 44); sync"
printf '{"note":"已当面告知违法事实、理由、依据及陈述申辩权利"}' >"$WHISTLE_DEVICE_DIR/notify.json"
bin/whistle device record case.notify@1 "$WHISTLE_DEVICE_DIR/notify.json" "$id" | sed 's/^/  /'
bin/whistle device push | sed 's/^/  /'

say "8. the decision passes the gates now: a fine of 500 yuan"
api 200 POST "/v1/cases/$id/transitions" "$OFFICER" '{"to":"decided","outcome":"penalty","penalty":{"fine_yuan":500}}'; c=$R
jq -c "$summary" <<<"$c"

say "9. the work order's time limit passes: River's deadline.escalate job escalates it to the team leader"
while [ "$(date -u +%s)" -lt $(( $(date -u -d "$limit" +%s) + 8 )) ]; do sleep 1; done
api 200 GET "/v1/deadlines?subject_kind=case&subject_id=$id" "$LEADER"; d=$R
jq -r '.[] | "  \(.kind)  \(.state)  due \(.due_at)  escalated \(.escalated_at // "-")"' <<<"$d"
for dl in $(jq -r '.[] | select(.kind == "work_order") | .id' <<<"$d"); do
  api 200 GET "/v1/admin/audit?entity_type=deadline&entity_id=$dl" "$ADMIN"
  jq -r '.entries[] | "  trail #\(.seq) \(.chain)  \(.at)  \(.action)"' <<<"$R"
done

say "10. served with proof, executed, and concluded by the team leader"
api 200 POST "/v1/cases/$id/transitions" "$OFFICER" '{"to":"served","service_recorded":true}'; c=$R
api 200 POST "/v1/cases/$id/transitions" "$OFFICER" '{"to":"executed"}'; c=$R
api 200 POST "/v1/cases/$id/transitions" "$LEADER" '{"to":"concluded"}'; c=$R
jq -c "$summary" <<<"$c"
api 200 GET "/v1/cases/$id" "$LEADER"; c=$R
jq -r '.history[] | "  \(.at)  \(.kind)  \(.actor)  \(.from // "")\(if .to then " -> " + .to else "" end)  \(.reason // .text // "")"' <<<"$c"
api 200 GET "/v1/deadlines?subject_kind=case&subject_id=$id" "$LEADER"
jq -r '.[] | "  deadline \(.kind)  \(.state)"' <<<"$R"
say "11. the case's trail (hash-chained, street st-a)"
api 200 GET "/v1/admin/audit?entity_type=case&entity_id=$id" "$ADMIN"
jq -r '.entries[] | "  #\(.seq)  \(.at)  \(.action)"' <<<"$R"
printf '\nwalkthrough: case %s concluded\n' "$id"
