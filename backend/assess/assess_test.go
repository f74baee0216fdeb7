package assess_test

import (
	"math"
	"testing"
	"time"

	"github.com/whistle/whistle/backend/assess"
	"github.com/whistle/whistle/backend/clock"
	"github.com/whistle/whistle/backend/derrors"
)

func TestParsePeriod(t *testing.T) {
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, clock.Beijing) }
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
				t.Errorf("from %v is not midnight in clock.Beijing", p.From.UTC())
			}
		})
	}
}

// TestDefaultConfig checks the built-in table: it parses, every figure is available (the
// whistles' and the return calls' data are recorded), and the rates of the hotline are as
// documented.
func TestDefaultConfig(t *testing.T) {
	c := assess.DefaultConfig()
	if c.ResponseWithin != 24*time.Hour {
		t.Errorf("response_within = %v, want 24h", c.ResponseWithin)
	}
	for _, f := range c.Figures {
		if !f.Available {
			t.Errorf("%s: unavailable", f.Code)
		}
	}
	for _, code := range []string{"whistles_received_emergency", "whistle_ack_median_seconds_key", "whistle_finish_p90_seconds_regular",
		"whistle_on_time_rate", "whistle_rating_rate", "work_orders_rated", "satisfaction_rate", "cases_routed", "hotline_composite"} {
		if _, ok := c.Figure(code); !ok {
			t.Errorf("%s: not defined", code)
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
		"work_orders_rated": 4, "work_orders_satisfied": 2, "work_orders_basically_satisfied": 1,
		"cases_concluded": 5, "cases_concluded_on_time": 4, "cases_concluded_overdue": 1,
		"evidence_reviewed": 2, "evidence_returned": 1,
		"whistle_steps_due": 10, "whistle_steps_on_time": 8, "whistle_objections_decided": 2, "whistle_objections_upheld": 1,
		"whistle_ratings": 5, "whistle_ratings_satisfied": 3, "whistle_ratings_basically_satisfied": 1,
		"whistle_ack_median_seconds_key": 600,
	})
	got := map[string]assess.Value{}
	for _, v := range r.Values {
		got[v.Code] = v
	}
	want := map[string]float64{
		"response_rate":                  0.75,
		"resolution_rate":                0.5,
		"satisfaction_rate":              (2 + 0.8) / 4,
		"case_on_time_rate":              0.8,
		"evidence_return_rate":           0.5,
		"cases_routed":                   0, // a count of nothing
		"hotline_composite":              0.10*0.75 + 0.45*0.5 + 0.45*0.7,
		"whistle_on_time_rate":           0.8,
		"whistle_objection_sound_rate":   0.5,
		"whistle_satisfaction_rate":      (3 + 0.8) / 5,
		"whistle_ack_median_seconds_key": 600,
	}
	for code, w := range want {
		if v := got[code]; v.Value == nil || math.Abs(*v.Value-w) > 1e-12 {
			t.Errorf("%s = %+v, want %v", code, v.Value, w)
		}
	}
	// A median of no items has no value (a count of none is 0).
	if v := got["whistle_ack_p90_seconds_emergency"]; !v.Available || v.Value != nil {
		t.Errorf("p90 of nothing = %+v, want available without a value", v)
	}
	// Score: 10 x (0.4 x 0.8 + 0.3 x 0.8 + 0.1 x 0.5 + 0.2 x 0.76), every item counted.
	if p := r.Score.Points; p == nil || math.Abs(*p-10*(0.4*0.8+0.3*0.8+0.1*0.5+0.2*0.76)) > 1e-12 || r.Score.Partial {
		t.Errorf("score = %+v, want 7.62 whole", r.Score)
	}
	// Nothing measured: objections score full marks (nothing to hold against the department),
	// the other items are left out.
	empty := c.Evaluate("cg", map[string]float64{})
	whys := map[string]string{}
	for _, it := range empty.Score.Items {
		whys[it.Item.Code] = it.Why
	}
	wantWhy := map[string]string{"whistle_response": assess.WhyNoData, "case_on_time": assess.WhyNoData,
		"objections": assess.WhyFull, "community_rating": assess.WhyNoData}
	for k, w := range wantWhy {
		if whys[k] != w {
			t.Errorf("item %s: %s, want %s", k, whys[k], w)
		}
	}
	if p := empty.Score.Points; p == nil || *p != 10 || !empty.Score.Partial {
		t.Errorf("score without data = %+v, want 10 partial", empty.Score)
	}
}

// TestEvaluate_Unavailable leaves out a score item whose figure is not recorded: a district's
// table may define a figure before its data exists.
func TestEvaluate_Unavailable(t *testing.T) {
	body := `{"response_within":"1h","figures":[
	{"code":"a","kind":"count","available":false,"title":{"zh":"a","en":"a"},"counts":"case","definition":"d","source":"s"},
	{"code":"b","kind":"count","available":true,"title":{"zh":"b","en":"b"},"counts":"case","definition":"d","source":"s"},
	{"code":"r","kind":"rate","available":true,"title":{"zh":"r","en":"r"},"numerator":[{"figure":"a","weight":1}],"denominator":"b","definition":"d","source":"s"},
	{"code":"q","kind":"rate","available":true,"title":{"zh":"q","en":"q"},"numerator":[{"figure":"b","weight":1}],"denominator":"b","definition":"d","source":"s"}],
	"score":{"points":10,"items":[
	{"code":"x","title":{"zh":"x","en":"x"},"figure":"r","weight":0.5,"when_no_data":"full"},
	{"code":"y","title":{"zh":"y","en":"y"},"figure":"q","weight":0.5,"when_no_data":"exclude"}]}}`
	c, err := assess.ParseConfig([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if f, _ := c.Figure("r"); f.Available {
		t.Errorf("a rate of an unavailable figure is available")
	}
	r := c.Evaluate("d", map[string]float64{"b": 2})
	if p := r.Score.Points; p == nil || *p != 10 || !r.Score.Partial || r.Score.Items[0].Why != assess.WhyUnavailable {
		t.Errorf("score = %+v, want 10 partial, x unavailable", r.Score)
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
