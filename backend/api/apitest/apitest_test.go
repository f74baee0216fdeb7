package apitest

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/gofiber/fiber/v2"
)

// failures records what the client reports instead of failing the test
// that runs it, so that a check can be shown to fail.
type failures struct {
	testing.TB
	mu  sync.Mutex
	got []string
}

func (f *failures) Helper() {}

func (f *failures) Fatalf(format string, args ...any) {
	f.mu.Lock()
	f.got = append(f.got, fmt.Sprintf(format, args...))
	f.mu.Unlock()
	panic(f)
}

func (f *failures) Fatal(args ...any) { f.Fatalf("%s", fmt.Sprint(args...)) }

// validInspection is a minimal Inspection that matches the contract.
func validInspection() map[string]any {
	return map[string]any{
		"record": map[string]any{
			"id": "2f1e9b7e-5a2e-4b4e-9a0e-1c2d3e4f5a6b", "team_code": "team-st-a", "matter_codes": []string{"CG-002"},
			"location":   map[string]any{"lat": 39.9, "lon": 116.4, "accuracy_m": 8, "address": "东城区"},
			"started_at": map[string]any{"wall": "2026-01-05T09:00:00Z", "since_boot_ms": 5000},
			"crew":       []any{map[string]any{"officer_code": "a-cg-03", "checked_in_at": "2026-01-05T08:55:00Z"}},
			"findings":   "", "measures": []any{}, "record_text": "", "signatures": map[string]any{"officers": []any{}}, "evidence": []any{},
		},
		"version": 1, "street_code": "st-a", "act_at": "2026-01-05T09:00:00Z", "received_at": "2026-01-05T09:01:00Z",
		"recorded_by": "officer.a", "status": "complete", "review": "none", "evidence_verified": []string{}, "masked": false,
		"assessment": map[string]any{"decisions": []any{}, "tier": "onsite_investigation", "exceptions": []any{}},
	}
}

// check serves body for GET /v1/inspections/{id} and returns what the
// client reported of it.
func check(t *testing.T, body map[string]any) []string {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	app := fiber.New()
	app.Get("/v1/inspections/:id", func(c *fiber.Ctx) error {
		c.Set("Content-Type", "application/json")
		c.Set("ETag", `"1-test"`) // the contract requires a record's tag
		return c.Send(b)
	})
	f := &failures{TB: t}
	func() {
		defer func() {
			if r := recover(); r != nil && r != any(f) {
				panic(r)
			}
		}()
		New(t, app).For(f).Get("/v1/inspections/2f1e9b7e-5a2e-4b4e-9a0e-1c2d3e4f5a6b", "")
	}()
	return f.got
}

// TestClient_Validates shows that the contract check fails a response that
// is off-contract in an optional field, so that it cannot pass one again.
func TestClient_Validates(t *testing.T) {
	if got := check(t, validInspection()); len(got) != 0 {
		t.Fatalf("a valid inspection fails: %v", got)
	}
	tests := []struct {
		name   string
		mutate func(map[string]any)
		want   string
	}{
		{"optional enum empty", func(b map[string]any) { b["record"].(map[string]any)["phone_tier"] = "" }, "phone_tier"},
		{"optional enum off the list", func(b map[string]any) { b["record"].(map[string]any)["phone_tier"] = "strict" }, "phone_tier"},
		{"undocumented property", func(b map[string]any) { b["reviewer"] = "leader.a" }, `"reviewer" is unsupported`},
		{"undocumented nested property", func(b map[string]any) { b["assessment"].(map[string]any)["score"] = 1 }, `"score" is unsupported`},
		{"malformed uuid", func(b map[string]any) { b["record"].(map[string]any)["id"] = "not-a-uuid" }, "uuid"},
		{"optional field null", func(b map[string]any) { b["device_id"] = nil }, "device_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := validInspection()
			tt.mutate(body)
			got := check(t, body)
			if len(got) == 0 || !strings.Contains(got[0], tt.want) {
				t.Fatalf("reported %q, want a failure naming %s", got, tt.want)
			}
		})
	}
}
