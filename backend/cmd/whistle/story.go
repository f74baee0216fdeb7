package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/whistle/whistle/backend/authority"
	"github.com/whistle/whistle/backend/inspection"
	"github.com/whistle/whistle/backend/org/demo"
	"github.com/whistle/whistle/backend/postgres"
	wsync "github.com/whistle/whistle/sync"
)

// storyNamespace names the fixed ids of the demo story: the same object has
// the same id on every run, so that seeding again creates nothing twice.
var storyNamespace = uuid.MustParse("6f2c1e0a-5d3b-4b7e-9a61-0c8d2f4e7b19")

// storyID is the fixed id of the demo story's object named name.
func storyID(name string) string { return uuid.NewSHA1(storyNamespace, []byte(name)).String() }

// storyRecord is an inspection record of the demo story, as the phone sends
// it, with the photos taken at it and what its team leader decides.
type storyRecord struct {
	name     string // fixed id's name
	login    string // the officer who records it
	reviewer string // the team leader who reviews it
	act      string // the act's moment, as written in the story (demo.Story)
	team     string
	crew     []string
	matter   string
	address  string
	lat, lon float64
	findings string
	measure  inspection.Measure
	photos   int
	decision string // approve, return, or "" (left in the review queue)
	// phone: sent by the officer's phone through POST /v1/sync/push (recorded
	// offline at the act), with the phone's report of what it still holds.
	phone *storyReport
}

// storyReport is what a demo phone reports at its push: acts still queued
// and how old the oldest of them is.
type storyReport struct {
	queued      int
	oldestHours int
}

// storyRecords are the inspection records of the demo story: street A's
// with every review state and a seizure, street B's fewer.
var storyRecords = []storyRecord{
	{name: "record/a/1", login: "officer.a", reviewer: "leader.a", act: "2026-11-20T09:40:00+08:00", team: "team-st-a",
		crew: []string{"a-cg-03"}, matter: "CG-002", address: "东城区南锣鼓巷 31 号", lat: 39.9372, lon: 116.4031,
		findings: "店外摆放货架占用人行道约 3 平方米", measure: inspection.Measure{Kind: authority.MeasureWarning, MatterCode: "CG-002"},
		photos: 2, decision: "approve"},
	{name: "record/a/2", login: "officer.a", reviewer: "leader.a", act: "2026-11-21T14:10:00+08:00", team: "team-st-a",
		crew: []string{"a-cg-03", "a-cg-04"}, matter: "CG-001", address: "东城区鼓楼东大街 102 号", lat: 39.9405, lon: 116.4012,
		findings: "无照游商沿街销售小商品，当场暂扣三轮车一辆及货物", photos: 3, decision: "approve",
		measure: inspection.Measure{Kind: authority.MeasureSeizure, MatterCode: "CG-001", Seizure: &inspection.Seizure{
			Items:        []inspection.SeizedItem{{Name: "三轮车", Quantity: 1, Unit: "辆", Condition: "旧，可正常使用"}, {Name: "发饰小商品", Quantity: 4, Unit: "箱", Condition: "完好"}},
			CustodyPlace: "交道口街道综合执法队暂扣物品仓库", Urgent: true}}},
	{name: "record/a/3", login: "officer.a", reviewer: "leader.a", act: "2026-11-22T10:05:00+08:00", team: "team-st-a",
		crew: []string{"a-cg-03", "a-sj-01"}, matter: "SJ-003", address: "东城区交道口南大街 56 号", lat: 39.9362, lon: 116.4050,
		findings: "店内销售疑似假冒品牌服装", measure: inspection.Measure{Kind: authority.MeasureEvidence, MatterCode: "SJ-003"},
		photos: 3},
	{name: "record/a/4", login: "officer.a", reviewer: "leader.a", act: "2026-11-23T11:20:00+08:00", team: "team-st-a",
		crew: []string{"a-cg-03", "a-sj-02"}, matter: "SJ-004", address: "东城区南锣鼓巷 88 号", lat: 39.9390, lon: 116.4030,
		findings: "商品未明码标价，当场罚款", photos: 1,
		measure: inspection.Measure{Kind: authority.MeasureFineSimple, MatterCode: "SJ-004", Fine: &inspection.Fine{AmountYuan: 500, FormNumber: "DEMO-JYCF-0004"}}},
	{name: "record/a/5", login: "officer.a", reviewer: "leader.a", act: "2026-11-23T15:30:00+08:00", team: "team-st-a",
		crew: []string{"a-cg-03"}, matter: "CG-007", address: "东城区北锣鼓巷 15 号", lat: 39.9421, lon: 116.4028,
		findings: "墙面张贴小广告十余张，当场罚款", photos: 2, decision: "return",
		measure: inspection.Measure{Kind: authority.MeasureFineSimple, MatterCode: "CG-007", Fine: &inspection.Fine{AmountYuan: 50, FormNumber: "DEMO-JYCF-0005"}}},
	{name: "record/a/6", login: "officer.a", reviewer: "leader.a", act: "2026-11-24T09:15:00+08:00", team: "team-st-a",
		crew: []string{"a-cg-03", "a-cg-04"}, matter: "CG-009", address: "东城区府学胡同 9 号", lat: 39.9348, lon: 116.4072,
		findings: "夜间施工噪声扰民，约谈施工单位负责人", photos: 1,
		measure: inspection.Measure{Kind: authority.MeasureEvidence, MatterCode: "CG-009"}, phone: &storyReport{}},
	{name: "record/b/1", login: "officer.b", reviewer: "leader.b", act: "2026-11-22T16:00:00+08:00", team: "team-st-b",
		crew: []string{"b-cg-03", "b-cg-04"}, matter: "CG-002", address: "东城区王府井大街 210 号", lat: 39.9150, lon: 116.4105,
		findings: "店外经营占用步行街通道", measure: inspection.Measure{Kind: authority.MeasureEvidence, MatterCode: "CG-002"},
		photos: 2, decision: "approve"},
	{name: "record/b/2", login: "officer.b", reviewer: "leader.b", act: "2026-11-23T10:30:00+08:00", team: "team-st-b",
		crew: []string{"b-cg-03", "b-cg-04"}, matter: "CG-008", address: "东城区东华门大街 40 号", lat: 39.9140, lon: 116.4040,
		findings: "商户向雨水口倾倒污水", photos: 1,
		measure: inspection.Measure{Kind: authority.MeasureFineSimple, MatterCode: "CG-008", Fine: &inspection.Fine{AmountYuan: 100, FormNumber: "DEMO-JYCF-B002"}},
		phone:   &storyReport{queued: 2, oldestHours: 30}}, // a phone that has kept two acts for more than a day
}

// storyClient calls the API in-process as the demo logins do.
type storyClient struct {
	app    *fiber.App
	db     *postgres.DB
	now    func() time.Time
	tokens map[string]string // by username, and by username + "#phone" for a phone's session
}

// do sends req as username and reads the answer.
func (c *storyClient) do(ctx context.Context, username string, req *http.Request) (int, http.Header, []byte, error) {
	if username != "" {
		tok, err := c.token(ctx, username)
		if err != nil {
			return 0, nil, nil, err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	res, err := c.app.Test(req.WithContext(ctx), -1)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, body, err
}

// json sends body (nil: none) to path as username and decodes the answer
// into out when its status is one of want.
func (c *storyClient) json(ctx context.Context, username, method, path string, body, out any, want ...int) (int, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		r = bytes.NewReader(b)
	}
	req := httptest.NewRequest(method, path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	status, _, got, err := c.do(ctx, username, req)
	if err != nil {
		return status, err
	}
	for _, w := range want {
		if status == w {
			if out != nil && len(got) > 0 {
				return status, json.Unmarshal(got, out)
			}
			return status, nil
		}
	}
	return status, fmt.Errorf("%s %s as %s: %d %s", method, path, username, status, got)
}

func (c *storyClient) token(ctx context.Context, username string) (string, error) {
	if tok, ok := c.tokens[username]; ok {
		return tok, nil
	}
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if _, err := c.json(ctx, "", http.MethodPost, "/v1/auth/login", map[string]string{"username": username, "password": demo.Password}, &out, http.StatusOK); err != nil {
		return "", err
	}
	c.tokens[username] = out.AccessToken
	return out.AccessToken, nil
}

// storyCount is what one run of the story wrote.
type storyCount struct{ records, photos, reviews, cases, whistles int }

// seedStory writes the demo story on top of the demo organization through
// the API, in-process: every record, photo, review, case and whistle gets
// its trail entry, feed change and deadlines as if a phone or the console
// had sent it. Objects already there (same fixed id) are left as they are.
func seedStory(ctx context.Context, cfg Config, out io.Writer) error {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := wire(ctx, cfg, log, noop.NewTracerProvider())
	if err != nil {
		return err
	}
	defer st.db.Close()
	work, err := newJobs(cfg, log, st, nil)
	if err != nil {
		return err
	}
	st.db.Jobs = work // queued for the server to run: thumbnails, escalations
	c := &storyClient{app: st.app, db: st.db, now: cfg.Clock.Now, tokens: map[string]string{}}
	story := demo.StoryOn(cfg.Clock.Today())
	var n storyCount
	for _, r := range storyRecords {
		if err := c.record(ctx, story, r, &n); err != nil {
			return fmt.Errorf("demo story %s: %w", r.name, err)
		}
	}
	if err := c.workOrders(ctx, story, &n); err != nil {
		return fmt.Errorf("demo story: %w", err)
	}
	if err := c.departmentReturn(ctx, &n); err != nil {
		return fmt.Errorf("demo story: %w", err)
	}
	if err := c.whistles(ctx, story, &n); err != nil {
		return fmt.Errorf("demo story: %w", err)
	}
	fmt.Fprintf(out, "demo story: %d records, %d photos, %d reviews, %d cases, %d whistles written\n",
		n.records, n.photos, n.reviews, n.cases, n.whistles)
	return nil
}

// record sends r with its photos, as the phone does, and its review.
func (c *storyClient) record(ctx context.Context, story demo.Story, r storyRecord, n *storyCount) error {
	act := story.At(r.act)
	rec := inspection.Record{
		ID: storyID(r.name), TeamCode: r.team, MatterCodes: []string{r.matter},
		Location:  inspection.Location{Lat: r.lat, Lon: r.lon, AccuracyM: 6, Address: r.address},
		StartedAt: inspection.DeviceTime{Wall: act, SinceBootMS: 3_600_000},
		Findings:  r.findings, PhoneTier: "enforcement", RecordText: "现场检查：" + r.findings + "。",
		Measures:   []inspection.Measure{r.measure},
		Signatures: inspection.Signatures{Officers: []inspection.OfficerSignature{}},
		Party:      &inspection.Party{Kind: inspection.PartyPerson, Name: "当事人" + r.name[len(r.name)-1:], Phone: "13800000000"},
	}
	ended := inspection.DeviceTime{Wall: act.Add(25 * time.Minute), SinceBootMS: 3_600_000 + 25*60_000}
	rec.EndedAt = &ended
	for _, code := range r.crew {
		rec.Crew = append(rec.Crew, inspection.CrewCheckIn{OfficerCode: code, CheckedInAt: act.Add(-5 * time.Minute)})
	}
	for i := range r.photos {
		p := storyPhoto(r, i)
		sum := sha256.Sum256(p)
		clientID := storyID(fmt.Sprintf("%s/photo/%d", r.name, i))
		rec.Evidence = append(rec.Evidence, inspection.ExpectedEvidence{ClientID: clientID, SHA256: hex.EncodeToString(sum[:]),
			Size: int64(len(p)), ContentType: "image/jpeg", Kind: "photo"})
		created, err := c.upload(ctx, r.login, rec.ID, clientID, act.Add(time.Duration(i+1)*time.Minute), r, p)
		if err != nil {
			return err
		}
		if created {
			n.photos++
		}
	}
	var state struct {
		Version int    `json:"version"`
		Review  string `json:"review"`
	}
	if r.phone != nil {
		created, err := c.push(ctx, r, rec, act)
		if err == nil && created {
			n.records++
		}
		return err
	}
	status, err := c.json(ctx, r.login, http.MethodPost, "/v1/inspections", rec, &state, http.StatusCreated, http.StatusOK)
	if err != nil {
		return err
	}
	if status == http.StatusCreated {
		n.records++
	}
	if r.decision == "" || state.Review != "pending" {
		return nil
	}
	review := map[string]any{"version": state.Version, "decision": r.decision}
	if r.decision == "return" {
		review["reasons"] = []string{"照片未能反映小广告的数量，请补拍后重新提交"}
	}
	if _, err := c.json(ctx, r.reviewer, http.MethodPost, "/v1/inspections/"+rec.ID+"/review", review, nil, http.StatusOK); err != nil {
		return err
	}
	n.reviews++
	return nil
}

// push sends rec as the officer's phone does: an inspection.record@1
// recorded offline at the act, signed by the phone's key, pushed with the
// phone's report. The phone (one per officer, its key derived from the
// login) is registered on the first run; seq 1 again on a later run is a
// duplicate. It reports whether the record is new.
func (c *storyClient) push(ctx context.Context, r storyRecord, rec inspection.Record, act time.Time) (bool, error) {
	seed := sha256.Sum256([]byte("whistle demo phone " + r.login))
	key := ed25519.NewKeyFromSeed(seed[:])
	pub := key.Public().(ed25519.PublicKey)
	var dev struct {
		ID string `json:"id"`
	}
	status, err := c.json(ctx, r.login, http.MethodPost, "/v1/devices",
		map[string]string{"public_key": base64.StdEncoding.EncodeToString(pub), "name": r.login + " 的执法终端"}, &dev, http.StatusCreated, http.StatusConflict)
	if err != nil {
		return false, err
	}
	if status == http.StatusConflict { // registered by an earlier run
		if err := c.db.SQL.QueryRowContext(ctx, `SELECT id FROM devices WHERE public_key = $1`, []byte(pub)).Scan(&dev.ID); err != nil {
			return false, fmt.Errorf("the demo phone of %s: %w", r.login, err)
		}
	}
	phone := r.login + "#phone"
	if _, ok := c.tokens[phone]; !ok {
		var sess struct {
			AccessToken string `json:"access_token"`
		}
		if _, err := c.json(ctx, "", http.MethodPost, "/v1/auth/login",
			map[string]string{"username": r.login, "password": demo.Password, "device_id": dev.ID}, &sess, http.StatusOK); err != nil {
			return false, err
		}
		c.tokens[phone] = sess.AccessToken
	}
	args, err := json.Marshal(rec)
	if err != nil {
		return false, err
	}
	m := wsync.Sign(key, dev.ID, wsync.Mutation{Seq: 1, EntityID: rec.ID, Name: "inspection.record@1", Args: args,
		Clock: wsync.Clock{Wall: wsync.WallAt(act.Add(30 * time.Minute)), SinceBootMS: 3_600_000 + 30*60_000}})
	now := c.now()
	report := map[string]any{"queue_depth": r.phone.queued, "wall": now.Add(2 * time.Second), "app_version": "1.4.2"}
	if r.phone.queued > 0 {
		report["oldest_unsent_at"] = now.Add(-time.Duration(r.phone.oldestHours) * time.Hour)
	}
	var res struct {
		Results []struct {
			Verdict string `json:"verdict"`
		} `json:"results"`
	}
	if _, err := c.json(ctx, phone, http.MethodPost, "/v1/sync/push", map[string]any{"mutations": []wsync.Mutation{m}, "report": report},
		&res, http.StatusOK); err != nil {
		return false, err
	}
	if len(res.Results) != 1 || res.Results[0].Verdict == "rejected" || res.Results[0].Verdict == "retry" {
		return false, fmt.Errorf("the demo phone of %s: push answered %+v", r.login, res.Results)
	}
	return res.Results[0].Verdict != "duplicate", nil
}

// upload sends a photo whole in its creation request (the tus one-request
// path of a phone): verified, stored under Object Lock, on the custody log.
// It reports whether the item is new.
func (c *storyClient) upload(ctx context.Context, username, recordID, clientID string, at time.Time, r storyRecord, data []byte) (bool, error) {
	sum := sha256.Sum256(data)
	b := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	meta := strings.Join([]string{"client_id " + b(clientID), "sha256 " + b(hex.EncodeToString(sum[:])), "content_type " + b("image/jpeg"),
		"kind " + b("photo"), "captured_at " + b(at.Format(time.RFC3339)), "record_client_id " + b(recordID),
		"filename " + b("IMG_"+clientID[:8]+".jpg"), "lat " + b(strconv.FormatFloat(r.lat, 'f', 6, 64)), "lon " + b(strconv.FormatFloat(r.lon, 'f', 6, 64))}, ",")
	req := httptest.NewRequest(http.MethodPost, "/v1/evidence/uploads", bytes.NewReader(data))
	req.Header.Set("Tus-Resumable", "1.0.0")
	req.Header.Set("Content-Type", "application/offset+octet-stream")
	req.Header.Set("Upload-Length", strconv.Itoa(len(data)))
	req.Header.Set("Upload-Metadata", meta)
	if existed, err := c.countEvidence(ctx, clientID); err != nil || existed > 0 {
		return false, err
	}
	status, _, body, err := c.do(ctx, username, req)
	if err != nil {
		return false, err
	}
	if status != http.StatusCreated {
		return false, fmt.Errorf("upload photo %s: %d %.300s", clientID, status, body)
	}
	return true, nil
}

// storyPhoto is photo i of record r: a street-scene-like JPEG (sky,
// buildings, road) of a few hundred KB with the record's text drawn as
// blocks, the same bytes on every run.
func storyPhoto(r storyRecord, i int) []byte {
	const w, h = 1280, 960
	rng := rand.New(rand.NewPCG(uint64(len(r.name)*131+i), uint64(r.lat*1e6)))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			var col color.RGBA
			switch {
			case y < h*2/5: // sky
				col = color.RGBA{uint8(120 + y*60/h), uint8(170 + y*40/h), 235, 255}
			case y < h*3/4: // a row of houses, their walls grey and red
				if (x/160+i)%2 == 0 {
					col = color.RGBA{150, 60, 50, 255}
				} else {
					col = color.RGBA{128, 128, 130, 255}
				}
			default: // road
				col = color.RGBA{70, 70, uint8(75 + (x*10)/w), 255}
			}
			// Grain, as a phone's sensor has: it is what makes the file weigh what a photo does.
			d := rng.IntN(61) - 30
			col.R, col.G, col.B = grain(col.R, d), grain(col.G, d), grain(col.B, d)
			img.SetRGBA(x, y, col)
		}
	}
	// The text, one dark block per character, as a caption on the sky.
	for k, ch := range []rune(r.findings + " " + r.address) {
		if ch == ' ' {
			continue
		}
		x0, y0 := 40+(k%40)*30, 40+(k/40)*40
		for y := y0; y < y0+26 && y < h; y++ {
			for x := x0; x < x0+24 && x < w; x++ {
				img.SetRGBA(x, y, color.RGBA{uint8(20 + int(ch)%40), 20, 30, 255})
			}
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		panic(err) // encoding into memory does not fail
	}
	return buf.Bytes()
}

// countEvidence counts the items of client id clientID already stored.
func (c *storyClient) countEvidence(ctx context.Context, clientID string) (int, error) {
	var n int
	err := c.db.SQL.QueryRowContext(ctx, `SELECT count(*) FROM evidence WHERE client_id = $1`, clientID).Scan(&n)
	return n, err
}

// storyOrder is a 12345 work order of the demo story, and how far its case
// goes.
type storyOrder struct {
	name, grid, matter, address string
	lat                         float64
	received, limit             string // as written in the story
	conclude                    bool   // walked to its archive (conclude)
}

var storyOrders = []storyOrder{
	{name: "case/a/1", grid: "grid.a", matter: "CG-002", address: "东城区南锣鼓巷 12 号", lat: 39.9361,
		received: "2026-11-10T09:00:00+08:00", limit: "2026-12-10T18:00:00+08:00", conclude: true},
	{name: "case/a/2", grid: "grid.a", matter: "SJ-002", address: "东城区交道口东大街 21 号", lat: 39.9399,
		received: "2026-11-21T10:30:00+08:00", limit: "2026-11-28T18:00:00+08:00"},
	{name: "case/a/3", grid: "grid.a", matter: "SJ-004", address: "东城区安定门内大街 150 号", lat: 39.9453,
		received: "2026-11-22T15:00:00+08:00", limit: "2026-11-29T18:00:00+08:00"},
	{name: "case/a/4", grid: "grid.a", matter: "CG-009", address: "东城区府学胡同 36 号", lat: 39.9343,
		received: "2026-11-18T21:40:00+08:00", limit: "2026-11-25T18:00:00+08:00"},
	{name: "case/a/5", grid: "grid.a", matter: "CG-008", address: "东城区香饵胡同 5 号", lat: 39.9385,
		received: "2026-11-16T08:20:00+08:00", limit: "2026-11-23T18:00:00+08:00"},
	{name: "case/a/6", grid: "grid.a", matter: "CG-007", address: "东城区菊儿胡同 3 号", lat: 39.9412,
		received: "2026-11-23T11:00:00+08:00", limit: "2026-11-30T18:00:00+08:00"},
	{name: "case/b/1", grid: "grid.b", matter: "CG-002", address: "东城区王府井大街 88 号", lat: 39.9120,
		received: "2026-11-22T09:10:00+08:00", limit: "2026-11-29T18:00:00+08:00"},
}

// workOrders takes the story's 12345 work orders in, as the grid operator
// does, and walks the one to conclude through its procedure.
func (c *storyClient) workOrders(ctx context.Context, story demo.Story, n *storyCount) error {
	for i, o := range storyOrders {
		id := storyID(o.name)
		status, err := c.json(ctx, o.grid, http.MethodGet, "/v1/cases/"+id, nil, nil, http.StatusOK, http.StatusNotFound)
		if err != nil {
			return err
		}
		if status == http.StatusOK {
			continue
		}
		body := map[string]any{
			"id": id, "matter_code": o.matter, "description": "来电反映：" + o.address + " 附近问题反复出现",
			"location": map[string]any{"address": o.address, "lat": o.lat, "lng": 116.4035},
			"source": map[string]any{"kind": "work_order", "channel": "12345", "work_order_number": fmt.Sprintf("DEMO-GD-%04d", i+1),
				"nature": "single", "contact": map[string]any{"name": "李小明", "phone": "13911112222"},
				"received_at": story.At(o.received).UTC(), "time_limit": story.At(o.limit).UTC(),
				"location": map[string]any{"address": o.address}, "description": "来电反映" + o.address + "问题"},
		}
		if _, err := c.json(ctx, o.grid, http.MethodPost, "/v1/cases", body, nil, http.StatusCreated); err != nil {
			return err
		}
		n.cases++
		if o.conclude {
			if err := c.conclude(ctx, id); err != nil {
				return fmt.Errorf("%s: %w", o.name, err)
			}
		}
	}
	return nil
}

// conclude walks case id to its archive: the team leader gives it to
// officer.a, who files, investigates, notifies, decides, serves and
// executes; the team leader concludes it and closes it into its archive,
// which gives it its archive number.
func (c *storyClient) conclude(ctx context.Context, id string) error {
	steps := []storyAct{
		{"leader.a", "reassignment", map[string]any{"officer_code": "a-cg-03", "reason": "张伟负责南锣鼓巷片区"}},
		{"officer.a", "transitions", map[string]any{"to": "filed"}},
		{"officer.a", "transitions", map[string]any{"to": "investigating"}},
		{"officer.a", "notes", map[string]any{"text": "已电话联系反映人，现场核实属实"}},
		{"officer.a", "notifications", map[string]any{"note": "已送达《行政处罚事先告知书》"}},
		{"officer.a", "transitions", map[string]any{"to": "decided", "outcome": "penalty", "penalty": map[string]any{"fine_yuan": 200}}},
		{"officer.a", "transitions", map[string]any{"to": "served", "service_recorded": true}},
		{"officer.a", "transitions", map[string]any{"to": "executed"}},
		{"leader.a", "transitions", map[string]any{"to": "concluded"}},
	}
	var concluded struct {
		Version int `json:"version"`
	}
	for _, s := range steps {
		if _, err := c.json(ctx, s.who, http.MethodPost, "/v1/cases/"+id+"/"+s.path, s.body, &concluded, http.StatusOK); err != nil {
			return err
		}
	}
	_, err := c.json(ctx, "leader.a", http.MethodPost, "/v1/cases/"+id+"/archive", map[string]any{"version": concluded.Version}, nil, http.StatusCreated)
	return err
}

// storyAct is a call of the story: body posted to the object's path as who.
type storyAct struct {
	who, path string
	body      map[string]any
}

// storyWhistle is a whistle of the demo story.
type storyWhistle struct {
	reference, typ, source, description, address string
	departments                                  []string
	acked                                        bool // cg acknowledged and arrived
	closed                                       bool // finished, closed and rated by the community
}

var storyWhistles = []storyWhistle{
	{reference: "DEMO-WG-0001", typ: "emergency", source: "grid_worker", description: "南锣鼓巷餐馆后厨燃气泄漏气味明显", address: "东城区南锣鼓巷 67 号",
		departments: []string{"cg", "xf"}, acked: true},
	{reference: "DEMO-WG-0002", typ: "key", source: "community", description: "菊儿胡同违法建设反复出现", address: "东城区菊儿胡同 18 号",
		departments: []string{"cg", "gh"}, acked: true},
	{reference: "DEMO-WG-0003", typ: "regular", source: "hotline", description: "交道口南大街商户占道经营，群众多次投诉", address: "东城区交道口南大街 80 号",
		departments: []string{"cg", "sj"}},
	{reference: "DEMO-WG-0004", typ: "regular", source: "patrol", description: "香饵胡同垃圾堆放", address: "东城区香饵胡同 22 号",
		departments: []string{"cg"}, acked: true, closed: true},
}

// whistles raises the story's whistles as grid.a, after their filing with
// the district grid center; a whistle whose filing reference is there
// already is left alone.
func (c *storyClient) whistles(ctx context.Context, story demo.Story, n *storyCount) error {
	for _, w := range storyWhistles {
		var there int
		if err := c.db.SQL.QueryRowContext(ctx, `SELECT count(*) FROM whistles WHERE doc->'filing'->>'reference' = $1`, w.reference).Scan(&there); err != nil {
			return err
		}
		if there > 0 {
			continue
		}
		body := map[string]any{
			"type": w.typ, "scope": "common", "source": w.source, "channel": "12345", "description": w.description,
			"location": map[string]any{"address": w.address}, "receiver": "钱玉兰", "opinion": "请相关部门联合处置",
			"departments": w.departments,
			"filing":      map[string]any{"filed_at": story.At("2026-11-24").Add(-time.Hour).UTC(), "filed_by": "区网格中心 周敏", "reference": w.reference},
		}
		var raised struct {
			ID string `json:"id"`
		}
		if _, err := c.json(ctx, "grid.a", http.MethodPost, "/v1/whistles", body, &raised, http.StatusCreated); err != nil {
			return err
		}
		n.whistles++
		var acts []storyAct
		if w.acked {
			acts = append(acts,
				storyAct{"officer.a", "reports", map[string]any{"department_code": "cg", "step": "ack"}},
				storyAct{"officer.a", "reports", map[string]any{"department_code": "cg", "step": "arrive", "location": map[string]any{"address": w.address}}},
				storyAct{"grid.a", "progress", map[string]any{"text": "城管队员已到场处置"}})
		}
		if w.closed {
			acts = append(acts,
				storyAct{"officer.a", "reports", map[string]any{"department_code": "cg", "step": "finish", "result": "垃圾已清运，责令物业整改"}},
				storyAct{"grid.a", "closure", map[string]any{"result": "垃圾已清运"}},
				storyAct{"community.a1", "rating", map[string]any{"rating": "satisfied", "comment": "处置及时"}})
		}
		for _, a := range acts {
			if _, err := c.json(ctx, a.who, http.MethodPost, "/v1/whistles/"+raised.ID+"/"+a.path, a.body, nil, http.StatusOK); err != nil {
				return err
			}
		}
	}
	return nil
}

// departmentReturn opens the case of record a/3 (a shop selling fakes,
// market regulation's matter, three photos) as street A's team leader: it
// is routed to sj, whose reviewers get their grant. The reviewer of sj
// returns its evidence, one photo unreadable and an angle missing; the
// return waits for the officer's answer.
func (c *storyClient) departmentReturn(ctx context.Context, n *storyCount) error {
	id := storyID("case/a/from-record-3")
	status, err := c.json(ctx, "leader.a", http.MethodGet, "/v1/cases/"+id, nil, nil, http.StatusOK, http.StatusNotFound)
	if err != nil || status == http.StatusOK {
		return err
	}
	if _, err := c.json(ctx, "leader.a", http.MethodPost, "/v1/cases", map[string]any{"id": id, "inspection_id": storyID("record/a/3")}, nil, http.StatusCreated); err != nil {
		return err
	}
	n.cases++
	var photo string
	if err := c.db.SQL.QueryRowContext(ctx, `SELECT id FROM evidence WHERE client_id = $1`, storyID("record/a/3/photo/0")).Scan(&photo); err != nil {
		return fmt.Errorf("photo 0 of record a/3: %w", err)
	}
	review := map[string]any{"verdict": "returned", "items": []map[string]any{
		{"evidence_id": photo, "reason": "unreadable"},
		{"reason": "missing_angle", "note": "请补拍商品吊牌及品牌标识的近景照片"},
	}}
	_, err = c.json(ctx, "reviewer.sj", http.MethodPost, "/v1/cases/"+id+"/evidence-reviews", review, nil, http.StatusCreated)
	return err
}

// grain is channel v moved by d, within 0-255.
func grain(v uint8, d int) uint8 { return uint8(min(max(int(v)+d, 0), 255)) }
