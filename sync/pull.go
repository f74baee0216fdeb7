package sync

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/whistle/whistle/backend/derrors"
)

// Op is what a change does to an entity on the device.
type Op string

// The operations.
const (
	Upsert Op = "upsert" // the entity's whole state
	Delete Op = "delete" // the entity is gone (tombstone)
)

// Change is the latest state of one entity in a scope.
type Change struct {
	Scope      string          `json:"scope"`
	Version    int64           `json:"version"`
	EntityType string          `json:"entity_type"`
	EntityID   string          `json:"entity_id"`
	Op         Op              `json:"op"`
	State      json.RawMessage `json:"state,omitempty"`
	// Origin: the device and sequence number whose mutation made this
	// change, so a device recognises its own writes.
	OriginDevice string    `json:"origin_device,omitempty"`
	OriginSeq    int64     `json:"origin_seq,omitempty"`
	ChangedAt    time.Time `json:"changed_at"`
}

// ScopeSnapshot is what storage read of one scope.
type ScopeSnapshot struct {
	Changes []Change
	More    bool  // changes after the last one read remain
	Purged  int64 // tombstones up to this version were purged
}

// Snapshot is one consistent read for a pull.
type Snapshot struct {
	Scopes         map[string]ScopeSnapshot
	LastAppliedSeq int64
}

// PullRequest is a device's cursors, one per scope it holds data of.
type PullRequest struct {
	Cursors map[string]int64 `json:"cursors"`
	Limit   int              `json:"limit"`
}

// ScopePage is the changes of one scope in a pull.
type ScopePage struct {
	Scope    string   `json:"scope"`
	Cursor   int64    `json:"cursor"`   // the device's new cursor once the page is applied
	Complete bool     `json:"complete"` // nothing more in this scope for now
	Changes  []Change `json:"changes"`
}

// PullResponse is one page of a pull. The device applies it whole, or not
// at all; when Complete is false it pulls again with the new cursors.
type PullResponse struct {
	Scopes []ScopePage `json:"scopes"`
	// Evicted are scopes the device held but may no longer see: it deletes
	// their data (its unsent mutations stay and are still pushed).
	Evicted        []string `json:"evicted"`
	LastAppliedSeq int64    `json:"last_applied_seq"`
	Complete       bool     `json:"complete"`
}

// Page sizes of a pull.
const (
	DefaultPullLimit = 500
	MaxPullLimit     = 1000
)

// ResyncRequired is the 410 of a pull whose cursor of some scope is older
// than the retention of deletions: the device re-bootstraps those scopes
// (pulls them from cursor 0) and keeps its unsent mutations.
type ResyncRequired struct {
	Scopes []string
}

func (e *ResyncRequired) Error() string {
	return fmt.Sprintf("resync_required: cursors of %v are older than the retention of deletions; pull these scopes from 0", e.Scopes)
}

// Pull returns the next page of changes of the scopes the device may see
// (visible, computed by the caller from who the device's officer is now).
// Scopes the device has cursors for but may no longer see are evicted; new
// scopes start from 0. It returns *ResyncRequired when a cursor is too old,
// derrors.Invalid for a bad limit or cursor.
func (s *Service) Pull(ctx context.Context, deviceID string, visible []string, req PullRequest) (PullResponse, error) {
	limit := req.Limit
	if limit == 0 {
		limit = DefaultPullLimit
	}
	if limit < 1 || limit > MaxPullLimit {
		return PullResponse{}, derrors.Invalidf("/limit", "limit is 1 to %d", MaxPullLimit)
	}
	cursors := map[string]int64{}
	for _, scope := range visible {
		cursors[scope] = 0
	}
	out := PullResponse{Scopes: []ScopePage{}, Evicted: []string{}}
	for scope, c := range req.Cursors {
		if c < 0 {
			return PullResponse{}, derrors.Invalidf("/cursors/"+scope, "a cursor is never negative")
		}
		if _, ok := cursors[scope]; ok {
			cursors[scope] = c
		} else {
			out.Evicted = append(out.Evicted, scope)
		}
	}
	slices.Sort(out.Evicted)
	snap, err := s.store.Pull(ctx, deviceID, cursors, limit)
	if err != nil {
		return PullResponse{}, err
	}
	var stale []string
	for scope, c := range cursors {
		if sc := snap.Scopes[scope]; c > 0 && c < sc.Purged {
			stale = append(stale, scope)
		}
	}
	if len(stale) > 0 {
		slices.Sort(stale)
		return PullResponse{}, &ResyncRequired{Scopes: stale}
	}
	out.LastAppliedSeq = snap.LastAppliedSeq
	out.Complete = true
	scopes := make([]string, 0, len(cursors))
	for scope := range cursors {
		scopes = append(scopes, scope)
	}
	slices.Sort(scopes)
	for _, scope := range scopes {
		sc := snap.Scopes[scope]
		page := ScopePage{Scope: scope, Cursor: cursors[scope], Complete: !sc.More, Changes: sc.Changes}
		if page.Changes == nil {
			page.Changes = []Change{}
		}
		if n := len(sc.Changes); n > 0 {
			page.Cursor = sc.Changes[n-1].Version
		}
		out.Complete = out.Complete && page.Complete
		out.Scopes = append(out.Scopes, page)
	}
	return out, nil
}
