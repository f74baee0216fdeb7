package audit

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"time"
)

// Anchor is a signed chain head stored where the database cannot reach it.
type Anchor struct {
	SignedHead
	Key       string `json:"key"`        // object key in the evidence bucket
	VersionID string `json:"version_id"` // object version under Object Lock
}

// HeadVerifier recomputes chains and returns their verified heads.
type HeadVerifier interface {
	Verify(ctx context.Context, chain string) ([]Head, *Break, error)
}

// LockedSink stores bytes under Object Lock until retainUntil.
type LockedSink interface {
	PutLocked(ctx context.Context, key string, body []byte, contentType string, retainUntil time.Time, mode string) (versionID string, err error)
}

// Appender records the anchoring itself in the trail.
type Appender interface {
	Append(ctx context.Context, e Entry) (Entry, error)
}

// AnchorHeads verifies every chain, signs each verified head with key and
// stores it in sink under Object Lock (mode, until retainUntil), then records
// the anchoring in the trail. A chain that fails verification is not
// anchored: the returned *Break says where it broke, so that a broken history
// is never certified.
func AnchorHeads(ctx context.Context, chains HeadVerifier, sink LockedSink, trail Appender, key ed25519.PrivateKey,
	mode string, retainUntil time.Time) ([]Anchor, *Break, error) {
	heads, brk, err := chains.Verify(ctx, "")
	if err != nil || brk != nil {
		return nil, brk, err
	}
	anchors := make([]Anchor, 0, len(heads))
	for _, h := range heads {
		sh := SignHead(key, h)
		body, err := json.Marshal(sh)
		if err != nil {
			return anchors, nil, err
		}
		k := AnchorKey(h)
		version, err := sink.PutLocked(ctx, k, body, "application/json", retainUntil, mode)
		if err != nil {
			return anchors, nil, fmt.Errorf("anchor %s: %w", k, err)
		}
		anchors = append(anchors, Anchor{SignedHead: sh, Key: k, VersionID: version})
		digest, err := Digest(sh)
		if err != nil {
			return anchors, nil, err
		}
		if _, err := trail.Append(ctx, Entry{Chain: h.Chain, Action: "audit.anchor", EntityType: "audit_head",
			EntityID: fmt.Sprintf("%s@%d", h.Chain, h.Seq), AfterDigest: digest}); err != nil {
			return anchors, nil, err
		}
	}
	return anchors, nil, nil
}
