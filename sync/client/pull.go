package client

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"

	wsync "github.com/whistle/whistle/sync"
)

// PullReport is what a Pull did.
type PullReport struct {
	Pages          int      // pages applied
	Changes        int      // changes applied
	Evicted        []string // scopes whose data was deleted: the device may no longer see them
	Resynced       []string // scopes re-bootstrapped from cursor 0 after a 410
	LastAppliedSeq int64    // the server's last applied sequence number of this device
}

type pullBody struct {
	Cursors map[string]int64 `json:"cursors"`
	Limit   int              `json:"limit,omitempty"`
	Report  report           `json:"report"`
}

// Pull fetches the changes of the device's scopes page by page until the
// server says it is complete, applying each page whole (see the package
// comment) before asking for the next. Evicted scopes lose their data. A 410
// resync_required drops the cursor and data of the scopes it names, which
// are then pulled from cursor 0; the outbox is untouched. Transient failures
// are retried with backoff; a 401 refreshes the session once. Other
// refusals are *ProblemError (426 app_update_required among them).
func (c *Client) Pull(ctx context.Context) (PullReport, error) {
	c.pullMu.Lock()
	defer c.pullMu.Unlock()
	var rep PullReport
	for {
		c.mu.Lock()
		body := pullBody{Cursors: c.pulled.cursors(), Limit: c.opts.PullLimit, Report: c.report()}
		c.mu.Unlock()
		var page wsync.PullResponse
		err := c.call(ctx, "/v1/sync/pull", body, &page)
		var pe *ProblemError
		if errors.As(err, &pe) && pe.Status == http.StatusGone {
			dropped, err := c.dropScopes(pe.Scopes)
			if err != nil {
				return rep, err
			}
			if len(dropped) == 0 {
				return rep, fmt.Errorf("resync of scopes this device does not hold: %w", pe)
			}
			rep.Resynced = append(rep.Resynced, dropped...)
			continue
		}
		if err != nil {
			return rep, err
		}
		if err := c.apply(page); err != nil {
			return rep, err
		}
		rep.Pages++
		for _, s := range page.Scopes {
			rep.Changes += len(s.Changes)
		}
		rep.Evicted = append(rep.Evicted, page.Evicted...)
		rep.LastAppliedSeq = page.LastAppliedSeq
		if page.Complete {
			return rep, nil
		}
	}
}

// dropScopes forgets the cursor and data of the scopes it holds among
// scopes, in one write, and returns them.
func (c *Client) dropScopes(scopes []string) ([]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	next := c.pulled
	next.Scopes = maps.Clone(c.pulled.Scopes)
	var dropped []string
	for _, s := range scopes {
		if _, ok := next.Scopes[s]; ok {
			delete(next.Scopes, s)
			dropped = append(dropped, s)
		}
	}
	if len(dropped) == 0 {
		return nil, nil
	}
	if err := writeJSON(c.write, c.path(pulledFile), next, 0o600); err != nil {
		return nil, fmt.Errorf("write pulled data: %w", err)
	}
	c.pulled = next
	return dropped, nil
}

// apply applies one page whole: evictions, changes and cursors go to disk in
// one atomic write, and only then into memory. If the write fails, the
// device keeps the state and cursors it had before the page.
func (c *Client) apply(page wsync.PullResponse) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.opts.Now().UTC()
	next := pulledState{LastAppliedSeq: page.LastAppliedSeq, LastPullAt: &now, Scopes: maps.Clone(c.pulled.Scopes)}
	for _, s := range page.Evicted {
		delete(next.Scopes, s)
	}
	for _, sp := range page.Scopes {
		old := next.Scopes[sp.Scope]
		if old != nil && len(sp.Changes) == 0 && sp.Cursor == old.Cursor {
			continue
		}
		st := &scopeState{Cursor: sp.Cursor, Entities: map[string]wsync.Change{}}
		var from int64
		if old != nil {
			st.Entities, from = maps.Clone(old.Entities), old.Cursor
		}
		for _, ch := range sp.Changes {
			if ch.Version <= from {
				continue // already applied: a cursor only moves forward
			}
			switch ch.Op {
			case wsync.Upsert:
				st.Entities[entityKey(ch)] = ch
			case wsync.Delete:
				delete(st.Entities, entityKey(ch))
			}
		}
		st.Cursor = max(st.Cursor, from)
		next.Scopes[sp.Scope] = st
	}
	if err := writeJSON(c.write, c.path(pulledFile), next, 0o600); err != nil {
		return fmt.Errorf("write pulled data: %w", err)
	}
	c.pulled = next
	return nil
}

// Scopes lists the scopes the device holds data of.
func (c *Client) Scopes() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Sorted(maps.Keys(c.pulled.Scopes))
}
