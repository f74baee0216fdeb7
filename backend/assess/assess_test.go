package assess_test

import (
	"math"
	"testing"
	"time"

	"github.com/whistle/whistle/backend/assess"
	"github.com/whistle/whistle/backend/derrors"
)

func TestParsePeriod(t *testing.T) {
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, assess.Shanghai) }
	tests := []struct {
		name, period, from, to string
		wantFrom, wantTo       time.Time
		wantField              string
	}{
		{name: "Quarter", period: "2026Q4", wantFrom: day(2026, 10, 1), wantTo: day(2027, 1, 1)},
		{name: "FirstQuarter", period: "2027Q1", wantFrom: day(2027, 1, 1), wantTo: day(2027, 4, 1)},
		{name: "Month", period: "2026-11", wantFrom: day(2026, 11, 1), wantTo: day(2026, 12, 1)},
		{name: "Year", period: "2028", wantFrom: day(2028, 1, 1), wantTo: day(2029, 1, 1)},
		{name: "Dates", from: "2026-11-03", to: "2026-11-10", wantFrom: day(2026, 11, 3), wantTo: day(2026, 11, 10)},
		{name: "ErrBoth", period: "2026Q4", from: "2026-11-03", wantField: "period"},
		{name: "ErrNeither", wantField: "from"},
		{name: "ErrNoTo", from: "2026-11-03", wantField: "to"},
		{name: "ErrQuarter5", period: "2026Q5", wantField: "period"},
		{name: "ErrMonth13", period: "2026-13", wantField: "period"},
		{name: "ErrDate", from: "2026-11-31", to: "2026-12-01", wantField: "from"},
		{name: "ErrEmpty", from: "2026-11-03", to: "2026-11-03", wantField: "to"},
		{name: "ErrTooLong", from: "2026-01-01", to: "2027-01-03", wantField: "to"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := assess.ParsePeriod(tc.period, tc.from, tc.to)
			if tc.wantField != "" {
				e, ok := err.(*derrors.Error)
				if !ok || e.Code != derrors.BadRequest || len(e.Fields) != 1 || e.Fields[0].Field != tc.wantField {
					t.Fatalf("err = %v, want bad_request naming %s", err, tc.wantField)
				}
				return
			}
			if err != nil || !p.From.Equal(tc.wantFrom) || !p.To.Equal(tc.wantTo) {
				t.Fatalf("= %v..%v, %v; want %v..%v", p.From, p.To, err, tc.wantFrom, tc.wantTo)
			}
			// Midnight in Beijing is 16:00 UTC the day before.
			if p.From.UTC().Hour() != 16 {
				t.Errorf("from %v is not midnight in Shanghai", p.From.UTC())
			}
		})
	}
}

// TestDefaultConfig checks the built-in table: it parses, every figure has its source, the
// whistles' figures wait for their data, and the rates of the hotline are as documented.
func TestDefaultConfig(t *testing.T) {
	c := assess.DefaultConfig()
	if c.ResponseWithin != 24*time.Hour {
		t.Errorf("response_within = %v, want 24h", c.ResponseWithin)
	}
	for _, code := range []string{"whistles_received_emergency", "whistle_ack_median_seconds_key", "whistle_finish_p90_seconds_regular",
		"whistle_on_time_rate", "work_orders_rated", "satisfaction_rate"} {
		if f, ok := c.Figure(code); !ok || f.Available {
			t.Errorf("%s: %+v, want defined and unavailable", code, f)
		}
	}
	for _, code := range []string{"cases_routed", "response_rate", "resolution_rate", "case_on_time_rate", "hotline_composite"} {
		if f, ok := c.Figure(code); !ok || !f.Available {
			t.Errorf("%s: %+v, want available", code, f)
		}
	}
	sat, _ := c.Figure("satisfaction_rate")
	if len(sat.Numerator) != 2 || sat.Numerator[1].Weight != 0.8 || sat.Denominator != "work_orders_rated" {
		t.Errorf("satisfaction_rate = %+v", sat)
	}
	var weights float64
	for _, it := range c.Score.Items {
		weights += it.Weight
	}
	if c.Score.Points != 10 || math.Abs(weights-1) > 1e-9 || len(c.Score.Items) != 4 {
		t.Errorf("score = %+v, want 10 points over 4 items weighing 1", c.Score)
	}
}

func TestParseConfig_Refused(t *testing.T) {
	for name, body := range map[string]string{
		"UnknownField":   `{"response_within":"24h","figures":[],"score":{"points":10,"items":[]},"x":1}`,
		"NoLimit":        `{"response_within":"","figures":[],"score":{"points":10,"items":[]}}`,
		"RateOfUnknown":  `{"response_within":"24h","figures":[{"code":"r","kind":"rate","available":true,"title":{"zh":"r","en":"r"},"numerator":[{"figure":"a","weight":1}],"denominator":"b","definition":"d","source":"s"}],"score":{"points":10,"items":[]}}`,
		"NoSource":       `{"response_within":"24h","figures":[{"code":"a","kind":"count","available":true,"title":{"zh":"a","en":"a"},"counts":"case","definition":"d","source":""}],"score":{"points":10,"items":[]}}`,
		"ScoreOfCount":   `{"response_within":"24h","figures":[{"code":"a","kind":"count","available":true,"title":{"zh":"a","en":"a"},"counts":"case","definition":"d","source":"s"}],"score":{"points":10,"items":[{"code":"i","title":{"zh":"i","en":"i"},"figure":"a","weight":1,"when_no_data":"exclude"}]}}`,
		"UnknownKind":    `{"response_within":"24h","figures":[{"code":"a","kind":"mean","available":true,"title":{"zh":"a","en":"a"},"definition":"d","source":"s"}],"score":{"points":10,"items":[]}}`,
		"DuplicateCodes": `{"response_within":"24h","figures":[{"code":"a","kind":"count","available":true,"title":{"zh":"a","en":"a"},"counts":"case","definition":"d","source":"s"},{"code":"a","kind":"count","available":true,"title":{"zh":"a","en":"a"},"counts":"case","definition":"d","source":"s"}],"score":{"points":10,"items":[]}}`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := assess.ParseConfig([]byte(body)); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

// TestEvaluate forms the rates, the composite and the score from measured counts written out.
func TestEvaluate(t *testing.T) {
	c := assess.DefaultConfig()
	r := c.Evaluate("sj", map[string]float64{
		"work_orders_received": 4, "work_orders_responded": 3, "work_orders_resolved": 2,
		"cases_concluded": 5, "cases_concluded_on_time": 4, "cases_concluded_overdue": 1,
		"evidence_reviewed": 2, "evidence_returned": 1,
	})
	got := map[string]assess.Value{}
	for _, v := range r.Values {
		got[v.Code] = v
	}
	want := map[string]float64{
		"response_rate":        0.75,
		"resolution_rate":      0.5,
		"case_on_time_rate":    0.8,
		"evidence_return_rate": 0.5,
		"cases_routed":         0, // a count of nothing
		// satisfaction has no data yet: (0.10 x 0.75 + 0.45 x 0.5) / 0.55
		"hotline_composite": (0.10*0.75 + 0.45*0.5) / 0.55,
	}
	for code, w := range want {
		if v := got[code]; v.Value == nil || math.Abs(*v.Value-w) > 1e-12 {
			t.Errorf("%s = %+v, want %v", code, v.Value, w)
		}
	}
	if v := got["hotline_composite"]; len(v.Missing) != 1 || v.Missing[0] != "satisfaction_rate" {
		t.Errorf("composite missing %v, want [satisfaction_rate]", v.Missing)
	}
	if v := got["satisfaction_rate"]; v.Available || v.Value != nil {
		t.Errorf("satisfaction_rate = %+v, want unavailable", v)
	}
	// Score: whistle items unavailable, left out; on-time handling counted (0.8); objections
	// unavailable too. 10 x 0.8 = 8.
	if p := r.Score.Points; p == nil || math.Abs(*p-8) > 1e-12 || !r.Score.Partial {
		t.Errorf("score = %+v, want 8 partial", r.Score)
	}
	whys := map[string]string{}
	for _, it := range r.Score.Items {
		whys[it.Item.Code] = it.Why
	}
	wantWhy := map[string]string{"whistle_response": assess.WhyUnavailable, "case_on_time": assess.WhyCounted,
		"objections": assess.WhyUnavailable, "community_rating": assess.WhyUnavailable}
	for k, w := range wantWhy {
		if whys[k] != w {
			t.Errorf("item %s: %s, want %s", k, whys[k], w)
		}
	}
	// No case concluded: no item counts, no score.
	if r := c.Evaluate("cg", map[string]float64{}); r.Score.Points != nil {
		t.Errorf("score without data = %v, want none", *r.Score.Points)
	}
}

// TestEvaluate_NoDataPolicies scores items without data by their when_no_data.
func TestEvaluate_NoDataPolicies(t *testing.T) {
	body := `{"response_within":"1h","figures":[
	{"code":"a","kind":"count","available":true,"title":{"zh":"a","en":"a"},"counts":"case","definition":"d","source":"s"},
	{"code":"b","kind":"count","available":true,"title":{"zh":"b","en":"b"},"counts":"case","definition":"d","source":"s"},
	{"code":"r","kind":"rate","available":true,"title":{"zh":"r","en":"r"},"numerator":[{"figure":"a","weight":1}],"denominator":"b","definition":"d","source":"s"}],
	"score":{"points":10,"items":[
	{"code":"x","title":{"zh":"x","en":"x"},"figure":"r","weight":0.5,"when_no_data":"full"},
	{"code":"y","title":{"zh":"y","en":"y"},"figure":"r","weight":0.25,"when_no_data":"zero"},
	{"code":"z","title":{"zh":"z","en":"z"},"figure":"r","weight":0.25,"when_no_data":"exclude"}]}}`
	c, err := assess.ParseConfig([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	r := c.Evaluate("d", nil)
	// x full (1 x 0.5), y zero (0 x 0.25), z left out: 10 x 0.5 / 0.75.
	if p := r.Score.Points; p == nil || math.Abs(*p-10*0.5/0.75) > 1e-12 || !r.Score.Partial {
		t.Errorf("score = %+v", r.Score)
	}
}
