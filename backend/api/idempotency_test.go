package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/whistle/whistle/backend/api/apitest"
	"github.com/whistle/whistle/backend/postgres"
	"github.com/whistle/whistle/openapi"
)

// postWithKey is a JSON POST carrying Idempotency-Key key.
func postWithKey(t *testing.T, f *fixture, path, body, token, key string) *apitest.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Idempotency-Key", key)
	return f.client.For(t).Do(req)
}

// TestIdempotencyKey_NumberBlock: a create sent again with its key answers
// the kept answer and creates nothing; the key is bound to its request and
// to its user; a key in flight is refused; purged keys are forgotten.
func TestIdempotencyKey_NumberBlock(t *testing.T) {
	f := newFixture(t, options{demo: true})
	officer := newPhone(t, f, "officer.a")
	const body = `{"doc_type":"penalty_decision","count":10}`
	issue := func(t *testing.T, token, key, body string) (*apitest.Response, openapi.NumberBlock) {
		t.Helper()
		res := postWithKey(t, f, "/v1/number-blocks", body, token, key)
		var b openapi.NumberBlock
		if res.Status == http.StatusCreated {
			res.JSON(t, &b)
		}
		return res, b
	}
	t.Run("OK", func(t *testing.T) {
		key := `"` + uuid.NewString() + `"` // the draft's sf-string
		first, a := issue(t, officer.token, key, body)
		again, b := issue(t, officer.token, strings.Trim(key, `"`), body) // bare, as most clients send it
		if first.Status != http.StatusCreated || again.Status != http.StatusCreated {
			t.Fatalf("statuses %d, %d; want 201 twice", first.Status, again.Status)
		}
		if a.Id != b.Id || string(first.Body) != string(again.Body) {
			t.Fatalf("the retry created block %s after %s; want the kept answer", b.Id, a.Id)
		}
		if again.Header.Get("Idempotent-Replayed") != "true" || first.Header.Get("Idempotent-Replayed") != "" {
			t.Fatalf("Idempotent-Replayed: first %q, again %q", first.Header.Get("Idempotent-Replayed"), again.Header.Get("Idempotent-Replayed"))
		}
		if _, c := issue(t, officer.token, uuid.NewString(), body); c.Id == a.Id {
			t.Fatal("a new key got the old block")
		}
	})
	t.Run("ErrKeyReused", func(t *testing.T) {
		key := uuid.NewString()
		issue(t, officer.token, key, body)
		res, _ := issue(t, officer.token, key, `{"doc_type":"penalty_decision","count":11}`)
		res.Problem(t, http.StatusUnprocessableEntity, "idempotency_key_reused")
	})
	t.Run("PerUser", func(t *testing.T) {
		key := uuid.NewString()
		_, a := issue(t, officer.token, key, body)
		other := newPhone(t, f, "officer.b")
		res, b := issue(t, other.token, key, body)
		if res.Status != http.StatusCreated || res.Header.Get("Idempotent-Replayed") != "" || b.Id == a.Id {
			t.Fatalf("another user's same key: %d, replayed %q, block %s (first %s)", res.Status, res.Header.Get("Idempotent-Replayed"), b.Id, a.Id)
		}
	})
	t.Run("ErrInFlight", func(t *testing.T) {
		key := uuid.NewString()
		u, err := f.users.UserByUsername(context.Background(), "officer.a")
		if err != nil {
			t.Fatal(err)
		}
		store := postgres.NewIdempotencyStore(f.db)
		// The first request is in flight: its transaction holds the key.
		err = store.InTx(context.Background(), func(ctx context.Context) error {
			if _, _, err := store.Claim(ctx, u.ID, key); err != nil {
				return err
			}
			res, _ := issue(t, officer.token, key, body)
			res.Problem(t, http.StatusConflict, "idempotency_key_in_flight")
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// It ended without an answer: the key is free.
		if res, _ := issue(t, officer.token, key, body); res.Status != http.StatusCreated || res.Header.Get("Idempotent-Replayed") != "" {
			t.Fatalf("after the first request ended: %d %s", res.Status, res.Body)
		}
	})
	t.Run("Purged", func(t *testing.T) {
		key := uuid.NewString()
		_, a := issue(t, officer.token, key, body)
		store := postgres.NewIdempotencyStore(f.db)
		n, err := store.Purge(context.Background(), f.now().Add(time.Hour))
		if err != nil || n == 0 {
			t.Fatalf("purge: %d, %v", n, err)
		}
		if _, b := issue(t, officer.token, key, body); b.Id == a.Id {
			t.Fatal("a purged key still replays")
		}
	})
}

// TestRecordInspection_Retry: POST /v1/inspections sent again without a key
// answers as a sync push does: the same record is 200 with the stored one
// (201 was the first), another record under its id 409 entity_conflict
// naming the fields; with a key, the kept 201 is replayed.
func TestRecordInspection_Retry(t *testing.T) {
	f := newFixture(t, options{demo: true})
	officer := newPhone(t, f, "officer.a")
	r := marketInspection(f.story.At("2026-11-10T10:00:00+08:00"), []string{"a-cg-03", "a-sj-01", "a-sj-02"}, "JYCF-RETRY-1")
	body, _ := json.Marshal(r)
	first := f.client.PostJSON("/v1/inspections", string(body), officer.token)
	if first.Status != http.StatusCreated {
		t.Fatalf("record: %d %s", first.Status, first.Body)
	}
	again := f.client.PostJSON("/v1/inspections", string(body), officer.token)
	if again.Status != http.StatusOK {
		t.Fatalf("the same record again: %d %s; want 200 with the stored record", again.Status, again.Body)
	}
	var a, b openapi.Inspection
	first.JSON(t, &a)
	again.JSON(t, &b)
	if a.Record.Id != b.Record.Id || a.Version != b.Version || b.Version != 1 {
		t.Fatalf("stored %+v, answered %+v", a, b)
	}
	other := r
	other.Findings = "另一份记录"
	body2, _ := json.Marshal(other)
	p := f.client.PostJSON("/v1/inspections", string(body2), officer.token).Problem(t, http.StatusConflict, "entity_conflict")
	if len(p.Errors) == 0 || p.Errors[0].Field != "/findings" {
		t.Fatalf("entity_conflict names %+v, want /findings", p.Errors)
	}

	keyed := marketInspection(f.story.At("2026-11-10T11:00:00+08:00"), []string{"a-cg-03", "a-sj-01", "a-sj-02"}, "JYCF-RETRY-2")
	body3, _ := json.Marshal(keyed)
	key := uuid.NewString()
	one := postWithKey(t, f, "/v1/inspections", string(body3), officer.token, key)
	two := postWithKey(t, f, "/v1/inspections", string(body3), officer.token, key)
	if one.Status != http.StatusCreated || two.Status != http.StatusCreated || string(one.Body) != string(two.Body) ||
		two.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("keyed retry: %d then %d (replayed %q)", one.Status, two.Status, two.Header.Get("Idempotent-Replayed"))
	}
}

// TestIdempotencyKey_Certificate: an administrator's create sent again with
// its key is the kept answer, replayed.
func TestIdempotencyKey_Certificate(t *testing.T) {
	f := newFixture(t, options{demo: true})
	admin := f.login(t, "admin", "whistle-demo")
	body := f.story.Text(`{"number":"京执字110101-9101","officer_code":"a-cg-03","issuing_department_code":"cg","valid_from":"2026-01-01T00:00:00Z","valid_to":"2030-01-01T00:00:00Z"}`)
	key := uuid.NewString()
	first := postWithKey(t, f, "/v1/admin/certificates", body, admin, key)
	again := postWithKey(t, f, "/v1/admin/certificates", body, admin, key)
	if first.Status != http.StatusCreated || again.Status != http.StatusCreated || string(first.Body) != string(again.Body) ||
		again.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("keyed retry: %d then %d %s", first.Status, again.Status, again.Body)
	}
}

// TestIdempotencyKey_DeviceAndAmendment: the key works the same on a
// device registration and on a correction: one device, one new version.
func TestIdempotencyKey_DeviceAndAmendment(t *testing.T) {
	f := newFixture(t, options{demo: true})
	officer := newPhone(t, f, "officer.a")
	tok := f.login(t, "officer.a", "whistle-demo")
	dev := `{"public_key":"` + strings.Repeat("A", 43) + `=","name":"spare phone"}`
	key := uuid.NewString()
	first := postWithKey(t, f, "/v1/devices", dev, tok, key)
	again := postWithKey(t, f, "/v1/devices", dev, tok, key)
	if first.Status != http.StatusCreated || string(first.Body) != string(again.Body) || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("device registration: %d %s, then %d %s", first.Status, first.Body, again.Status, again.Body)
	}

	r := marketInspection(f.story.At("2026-11-10T10:00:00+08:00"), []string{"a-cg-03", "a-sj-01", "a-sj-02"}, "JYCF-IDEM-AMEND")
	body, _ := json.Marshal(r)
	if res := f.client.PostJSON("/v1/inspections", string(body), officer.token); res.Status != http.StatusCreated {
		t.Fatalf("record: %d %s", res.Status, res.Body)
	}
	amend, _ := json.Marshal(map[string]any{"base_version": 1, "reason": "更正", "record": r})
	key = uuid.NewString()
	one := postWithKey(t, f, "/v1/inspections/"+r.ID+"/amendments", string(amend), officer.token, key)
	two := postWithKey(t, f, "/v1/inspections/"+r.ID+"/amendments", string(amend), officer.token, key)
	if one.Status != http.StatusOK || string(one.Body) != string(two.Body) || two.Header.Get("ETag") != one.Header.Get("ETag") || one.Header.Get("ETag") == "" {
		t.Fatalf("correction: %d, then %d %s (ETag %q, %q)", one.Status, two.Status, two.Body, one.Header.Get("ETag"), two.Header.Get("ETag"))
	}
	// Without the key the same correction is based on a stale version now.
	f.client.PostJSON("/v1/inspections/"+r.ID+"/amendments", string(amend), officer.token).Problem(t, http.StatusConflict, "conflict")
}
