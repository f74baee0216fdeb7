package grant_test

import (
	"testing"
	"time"

	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/grant"
)

var at = time.Date(2026, 11, 10, 2, 0, 0, 0, time.UTC)

func TestOpen_PeriodOfDepartment(t *testing.T) {
	p := grant.Periods{Default: 30 * 24 * time.Hour, ByDepartment: map[string]time.Duration{"sc": 14 * 24 * time.Hour}}
	g := grant.Open("case", "sc", at, "user", p)
	if !g.ExpiresAt.Equal(at.Add(14*24*time.Hour)) || g.DownloadAllowed || g.Unmasked || g.Version != 1 || g.ID == "" {
		t.Fatalf("sc grant: %+v", g)
	}
	if g := grant.Open("case", "cg", at, "user", p); !g.ExpiresAt.Equal(at.Add(30 * 24 * time.Hour)) {
		t.Fatalf("default period: %s", g.ExpiresAt)
	}
	if g := grant.Open("case", "cg", at, "user", grant.Periods{}); !g.ExpiresAt.Equal(at.Add(grant.DefaultPeriod)) {
		t.Fatalf("no configuration: %s", g.ExpiresAt)
	}
}

func TestGrant_Live(t *testing.T) {
	g := grant.Open("case", "sj", at, "user", grant.Periods{})
	tests := []struct {
		name string
		at   time.Time
		want bool
	}{
		{"OKWithin", at.Add(time.Hour), true},
		{"OKAtGrant", at, true},
		{"ErrBefore", at.Add(-time.Second), false},
		{"ErrAtExpiry", g.ExpiresAt, false},
		{"ErrAfter", g.ExpiresAt.Add(time.Hour), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := g.Live(tt.at); got != tt.want {
				t.Errorf("Live(%s) = %v", tt.at, got)
			}
		})
	}
	r, err := grant.Revoke(g, "leader", at.Add(time.Hour), "复核结束")
	if err != nil || r.Live(at.Add(2*time.Hour)) || r.Version != 2 {
		t.Fatalf("revoked: %+v %v", r, err)
	}
}

func TestExtend(t *testing.T) {
	g := grant.Open("case", "sj", at, "user", grant.Periods{})
	revoked, _ := grant.Revoke(g, "leader", at, "x")
	tests := []struct {
		name   string
		g      grant.Grant
		until  time.Time
		reason string
		want   derrors.Code
	}{
		{"OK", g, g.ExpiresAt.Add(24 * time.Hour), "延期", ""},
		{"ErrNoReason", g, g.ExpiresAt.Add(24 * time.Hour), " ", derrors.Invalid},
		{"ErrNotLater", g, g.ExpiresAt, "延期", derrors.Invalid},
		{"ErrPast", g, at.Add(-time.Hour), "延期", derrors.Invalid},
		{"ErrRevoked", revoked, g.ExpiresAt.Add(24 * time.Hour), "延期", derrors.Conflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := grant.Extend(tt.g, tt.until, at.Add(time.Hour), tt.reason)
			if derrors.CodeOf(err) != tt.want && !(tt.want == "" && err == nil) {
				t.Fatalf("err %v, want %s", err, tt.want)
			}
			if err == nil && (!got.ExpiresAt.Equal(tt.until) || got.Version != 2) {
				t.Errorf("extended: %+v", got)
			}
		})
	}
	// An expired grant extended is live again.
	late := g.ExpiresAt.Add(time.Hour)
	if e, err := grant.Extend(g, late.Add(time.Hour), late, "再审"); err != nil || !e.Live(late) {
		t.Errorf("expired grant extended: %+v %v", e, err)
	}
}

func TestRevoke_Twice(t *testing.T) {
	g := grant.Open("case", "sj", at, "user", grant.Periods{})
	if _, err := grant.Revoke(g, "leader", at, ""); derrors.CodeOf(err) != derrors.Invalid {
		t.Errorf("without a reason: %v", err)
	}
	r, _ := grant.Revoke(g, "leader", at, "结束")
	if _, err := grant.Revoke(r, "leader", at, "结束"); derrors.CodeOf(err) != derrors.Conflict {
		t.Errorf("twice: %v", err)
	}
}

func TestSetTerms(t *testing.T) {
	g := grant.Open("case", "sj", at, "user", grant.Periods{})
	revoked, _ := grant.Revoke(g, "leader", at, "x")
	tests := []struct {
		name  string
		g     grant.Grant
		terms grant.Terms
		want  derrors.Code
	}{
		{"OKDownload", g, grant.Terms{DownloadAllowed: true}, ""},
		{"OKUnmasked", g, grant.Terms{Unmasked: true, LegalBasis: "处罚法第五十条"}, ""},
		{"ErrUnmaskedWithoutBasis", g, grant.Terms{Unmasked: true, LegalBasis: "  "}, derrors.Invalid},
		{"ErrSameTerms", g, grant.Terms{LegalBasis: "ignored when masked"}, derrors.Invalid},
		{"ErrRevoked", revoked, grant.Terms{DownloadAllowed: true}, derrors.Conflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := grant.SetTerms(tt.g, tt.terms)
			if derrors.CodeOf(err) != tt.want && !(tt.want == "" && err == nil) {
				t.Fatalf("err %v, want %s", err, tt.want)
			}
			if err == nil && (got.DownloadAllowed != tt.terms.DownloadAllowed || got.Unmasked != tt.terms.Unmasked || got.Version != 2 ||
				(got.Unmasked && got.LegalBasis == "")) {
				t.Errorf("terms: %+v", got)
			}
		})
	}
}

func TestLiveOf(t *testing.T) {
	a := grant.Open("case", "sj", at, "u", grant.Periods{Default: 24 * time.Hour})
	b := grant.Open("case", "sj", at, "u", grant.Periods{Default: 48 * time.Hour})
	c := grant.Open("case", "sy", at, "u", grant.Periods{})
	if g := grant.LiveOf([]grant.Grant{a, b, c}, "sj", at.Add(time.Hour)); g == nil || g.ID != b.ID {
		t.Errorf("LiveOf sj = %+v, want the longest", g)
	}
	if g := grant.LiveOf([]grant.Grant{a, c}, "sj", at.Add(30*time.Hour)); g != nil {
		t.Errorf("an expired grant is live: %+v", g)
	}
}

func TestParsePeriods(t *testing.T) {
	got, err := grant.ParsePeriods("cg=30d, sc=14d,sj=36h")
	if err != nil || got["cg"] != 30*24*time.Hour || got["sc"] != 14*24*time.Hour || got["sj"] != 36*time.Hour {
		t.Fatalf("ParsePeriods = %v %v", got, err)
	}
	for _, bad := range []string{"cg", "=30d", "cg=0d", "cg=-1h", "cg=30d,cg=14d", "cg=soon"} {
		if _, err := grant.ParsePeriods(bad); err == nil {
			t.Errorf("ParsePeriods(%q) accepted", bad)
		}
	}
	if got, err := grant.ParsePeriods(""); err != nil || len(got) != 0 {
		t.Errorf("empty: %v %v", got, err)
	}
}
