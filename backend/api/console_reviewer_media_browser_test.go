package api_test

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/whistle/whistle/backend/org/demo"
	"github.com/whistle/whistle/openapi"
)

// silentAAC is an ADTS stream (raw AAC, evidence's audio/aac; WAV is no
// accepted type of evidence) of frames 1024-sample frames of silence,
// AAC-LC mono at 44.1 kHz: each the 7-byte ADTS header and the 6-byte
// silent raw data block that hls.js feeds its players.
func silentAAC(frames int) []byte {
	block := []byte{0x00, 0xc8, 0x00, 0x80, 0x23, 0x80}
	n := 7 + len(block)
	var b bytes.Buffer
	for range frames {
		// sync, MPEG-4, no CRC; LC, 44.1 kHz, mono; frame length n; buffer fullness 0x7FF, one block.
		b.Write([]byte{0xFF, 0xF1, 0x50, byte(0x40 | n>>11), byte(n >> 3), byte((n&7)<<5 | 0x1F), 0xFC})
		b.Write(block)
	}
	return b.Bytes()
}

// downloads counts the custody log's downloads of item id by username.
func downloads(t *testing.T, f *fixture, id, username string) int {
	t.Helper()
	var cust openapi.Custody
	f.client.For(t).Get("/v1/evidence/"+id+"/custody?limit=500", f.login(t, "leader.a", demo.Password)).JSON(t, &cust)
	n := 0
	for _, e := range cust.Entries {
		if deref(e.ActorUserId) == f.userID(t, username) && e.Event == "downloaded" {
			n++
		}
	}
	return n
}

// TestConsole_ReviewerMedia: a sound recording uploaded to the case's
// record is, under a view-only grant, no player (playing streams the
// original); once the team leader allows download, the reviewer's page
// plays it in an <audio> element, the content route answers ranges (206
// with the bytes asked, 416 past the end) with the browser's session, and
// the custody log holds the playback once, not once per range.
func TestConsole_ReviewerMedia(t *testing.T) {
	f := newFixture(t, options{demo: true})
	rc := newReviewedCase(t, f)
	sound := silentAAC(87) // about 2 seconds
	it := newItem(sound, "audio/aac", "audio")
	it.recordID = rc.record
	audioID := upload(t, f.client, f.login(t, "officer.a", demo.Password), it)
	f.workJobs(t)
	gs := grantsOf(t, f, f.login(t, "leader.a", demo.Password), rc.id)
	if len(gs) != 1 {
		t.Fatalf("grants: %+v", gs)
	}
	base := serveConsole(t, f)
	tab := browserTab(t)
	consoleLogin(t, tab, base, "reviewer.sj")
	page := base + "/console/review/cases/" + rc.id
	itemRow := `#evidence tr[data-id="` + audioID + `"]`

	run(t, tab, "the view-only case", chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS(itemRow+" .noplay")))
	if n := read(t, tab, "players", chromedp.Evaluate[int](`document.querySelectorAll('audio, video').length`)); n != 0 {
		t.Errorf("a view-only grant shows %d players", n)
	}
	if n := downloads(t, f, audioID, "reviewer.sj"); n != 0 {
		t.Errorf("the view-only page put %d downloads on the custody log", n)
	}
	// The case's timeline, as GET /v1/cases/{id} shows it to the reviewer.
	var apiCase openapi.Case
	f.client.For(t).Get("/v1/cases/"+rc.id, f.login(t, "reviewer.sj", demo.Password)).JSON(t, &apiCase)
	events := read(t, tab, "the timeline's events", chromedp.Evaluate[[]string](`[...document.querySelectorAll('#timeline li.event')].map(e => e.dataset.kind)`))
	if apiCase.History == nil || len(events) != len(*apiCase.History) || len(events) == 0 {
		t.Fatalf("the page's timeline %v, the API's history %+v", events, apiCase.History)
	}
	for i, ev := range *apiCase.History {
		if events[i] != string(ev.Kind) {
			t.Errorf("timeline event %d is %q, the API's %q", i, events[i], ev.Kind)
		}
	}

	if res := grantAct(t, f, f.login(t, "leader.a", demo.Password), rc.id, gs[0].Id.String(), "terms",
		`{"version":1,"download_allowed":true,"unmasked":false}`, ""); res.Status != http.StatusOK {
		t.Fatalf("allow download: %d %s", res.Status, res.Body)
	}
	screenshot(t, tab, screenshotDir(t), "review-media", page, itemRow+" audio.player")
	if src := attr(t, tab, itemRow+" audio.player", "src"); src != "/console/evidence/"+audioID+"/content" {
		t.Errorf("the player's source is %q", src)
	}
	duration := read(t, tab, "the sound's duration", chromedp.Poll[float64](`(() => {
		const a = document.querySelector('`+itemRow+` audio.player');
		return a.readyState >= 1 && isFinite(a.duration) ? a.duration : 0 })()`))
	if duration < 1.9 || duration > 2.2 {
		t.Errorf("the browser reads a duration of %.3f s, want about 2", duration)
	}
	// Muted, as a page may start playing without a gesture: it plays to its end.
	read(t, tab, "play", chromedp.Evaluate[bool](`(() => { const a = document.querySelector('`+itemRow+` audio.player');
		a.muted = true; return a.play().then(() => true) })()`, chromedp.EvalAwaitPromise))
	read(t, tab, "played to the end", chromedp.Poll[bool](`document.querySelector('`+itemRow+` audio.player').ended`))
	started := downloads(t, f, audioID, "reviewer.sj")
	if started < 1 {
		t.Fatalf("the playback is not on the custody log")
	}

	// Ranges from Go with the browser's session cookie.
	cookies, err := chromedp.Call(tab, network.GetCookies, network.GetCookiesParams{URLs: []string{page}})
	if err != nil {
		t.Fatal(err)
	}
	get := func(rng string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, base+"/console/evidence/"+audioID+"/content", nil)
		for _, c := range cookies.Cookies {
			req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
		}
		req.Header.Set("Range", rng)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return res, b
	}
	size := strconv.Itoa(len(sound))
	for _, c := range []struct {
		rng, contentRange string
		want              []byte
	}{
		{"bytes=100-199", "bytes 100-199/" + size, sound[100:200]},
		{"bytes=1000-", "bytes 1000-" + strconv.Itoa(len(sound)-1) + "/" + size, sound[1000:]},
		{"bytes=-13", "bytes " + strconv.Itoa(len(sound)-13) + "-" + strconv.Itoa(len(sound)-1) + "/" + size, sound[len(sound)-13:]},
	} {
		res, body := get(c.rng)
		if res.StatusCode != http.StatusPartialContent || res.Header.Get("Content-Range") != c.contentRange ||
			res.Header.Get("Accept-Ranges") != "bytes" || !bytes.Equal(body, c.want) {
			t.Errorf("Range %s: %d Content-Range %q Accept-Ranges %q, %d bytes (equal %v); want 206 %q and its %d bytes",
				c.rng, res.StatusCode, res.Header.Get("Content-Range"), res.Header.Get("Accept-Ranges"), len(body), bytes.Equal(body, c.want), c.contentRange, len(c.want))
		}
	}
	if res, _ := get("bytes=" + size + "-"); res.StatusCode != http.StatusRequestedRangeNotSatisfiable || res.Header.Get("Content-Range") != "bytes */"+size {
		t.Errorf("a range past the end: %d Content-Range %q, want 416 %q", res.StatusCode, res.Header.Get("Content-Range"), "bytes */"+size)
	}
	if n := downloads(t, f, audioID, "reviewer.sj"); n != started {
		t.Errorf("the ranges continuing the playback made %d downloads of the custody log, want the playback's %d", n, started)
	}
	// A range from the first byte starts a playback again; so does a range
	// past the window of the last.
	if res, body := get("bytes=0-"); res.StatusCode != http.StatusPartialContent || !bytes.Equal(body, sound) {
		t.Errorf("Range bytes=0-: %d, %d bytes", res.StatusCode, len(body))
	}
	if n := downloads(t, f, audioID, "reviewer.sj"); n != started+1 {
		t.Errorf("a new playback: %d downloads on the custody log, want %d", n, started+1)
	}
	f.advance(11 * time.Minute)
	if res, _ := get("bytes=100-"); res.StatusCode != http.StatusPartialContent {
		t.Errorf("Range bytes=100- after 11 minutes: %d", res.StatusCode)
	}
	if n := downloads(t, f, audioID, "reviewer.sj"); n != started+2 {
		t.Errorf("a range 11 minutes later: %d downloads on the custody log, want %d", n, started+2)
	}

	if strings.Contains(read(t, tab, "the page", chromedp.Text(chromedp.CSS("main"))), "review.") {
		t.Errorf("the page shows a message key")
	}
}

// TestConsole_ReviewerPaging: a case of 103 items shows the first 100,
// and its next page the other 3, each once and in the API's order; the
// previous page is the first again, and a return from the second page
// returns an item of that page.
func TestConsole_ReviewerPaging(t *testing.T) {
	f := newFixture(t, options{demo: true})
	rc := newReviewedCase(t, f)
	for i := range 101 {
		uploadToRecord(t, f, rc.record, uint64(1000+i))
	}
	var all []openapi.Evidence
	next := "/v1/cases/" + rc.id + "/evidence?limit=100"
	for next != "" {
		res := f.client.For(t).Get(next, f.login(t, "reviewer.sj", demo.Password))
		var page []openapi.Evidence
		res.JSON(t, &page)
		all = append(all, page...)
		next = ""
		if m := linkNext.FindStringSubmatch(res.Header.Get("Link")); m != nil {
			next = m[1]
		}
	}
	if len(all) != 103 {
		t.Fatalf("the API lists %d items, want 103", len(all))
	}
	base := serveConsole(t, f)
	tab := browserTab(t)
	consoleLogin(t, tab, base, "reviewer.sj")
	ids := func() []string {
		return read(t, tab, "the page's items", chromedp.Evaluate[[]string](`[...document.querySelectorAll('#evidence tr.item')].map(r => r.dataset.id)`))
	}
	run(t, tab, "the first page", chromedp.Navigate(base+"/console/review/cases/"+rc.id), chromedp.WaitVisible(chromedp.CSS("#next")))
	first := ids()
	if n := read(t, tab, "previous links", chromedp.Evaluate[int](`document.querySelectorAll('#prev').length`)); n != 0 {
		t.Errorf("the first page links a previous page")
	}
	run(t, tab, "the next page", chromedp.Click(chromedp.CSS("#next")), chromedp.WaitVisible(chromedp.CSS("#prev")))
	second := ids()
	if n := read(t, tab, "next links", chromedp.Evaluate[int](`document.querySelectorAll('#next').length`)); n != 0 {
		t.Errorf("the last page links a next page")
	}
	if got := read(t, tab, "the page number", chromedp.Text(chromedp.CSS("#page-no"))); !strings.HasSuffix(got, "2") {
		t.Errorf("the second page is numbered %q", got)
	}
	got := append(append([]string{}, first...), second...)
	if len(first) != 100 || len(second) != 3 {
		t.Fatalf("the pages show %d and %d items, want 100 and 3", len(first), len(second))
	}
	for i, e := range all {
		if got[i] != e.Id.String() {
			t.Fatalf("item %d of the pages is %s, the API's %s", i, got[i], e.Id)
		}
	}

	last := second[2]
	run(t, tab, "return an item of the second page",
		chromedp.SetValue(chromedp.CSS(`select[name="reason_`+last+`"]`), "wrong_subject"),
		chromedp.Click(chromedp.CSS("#return")),
		chromedp.WaitVisible(chromedp.CSS(`#reviews li[data-evidence="`+last+`"]`)))
	if n := len(ids()); n != 3 {
		t.Errorf("after the return the page shows %d items, want the second page's 3", n)
	}
	var reviews []openapi.EvidenceReview
	f.client.For(t).Get("/v1/cases/"+rc.id+"/evidence-reviews", f.login(t, "leader.a", demo.Password)).JSON(t, &reviews)
	if len(reviews) != 1 || len(reviews[0].Items) != 1 || deref(reviews[0].Items[0].EvidenceId).String() != last {
		t.Errorf("the API's reviews after the return: %+v", reviews)
	}
	run(t, tab, "the previous page", chromedp.Click(chromedp.CSS("#prev")), chromedp.WaitVisible(chromedp.CSS("#next")))
	if back := ids(); len(back) != 100 || back[0] != first[0] {
		t.Errorf("the previous page shows %d items from %v, want the first page's", len(back), back[:min(1, len(back))])
	}
}
