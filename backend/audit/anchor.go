package audit

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Anchor is a signed chain head stored where the database cannot reach it.
type Anchor struct {
	SignedHead
	Key       string `json:"key"`        // object key in the evidence bucket
	VersionID string `json:"version_id"` // object version under Object Lock
}

// HeadVerifier recomputes chains, checking them against the anchored heads
// given, and returns their verified heads.
type HeadVerifier interface {
	Verify(ctx context.Context, chain string, anchored ...Head) ([]Head, *Break, error)
}

// LockedSink stores bytes under Object Lock until retainUntil.
type LockedSink interface {
	PutLocked(ctx context.Context, key string, body []byte, contentType string, retainUntil time.Time, mode string) (versionID string, err error)
}

// AnchorBucket is where anchors are written and read back: the evidence
// bucket.
type AnchorBucket interface {
	LockedSink
	// ListKeys lists the keys under prefix, in key order.
	ListKeys(ctx context.Context, prefix string) ([]string, error)
	// GetObjectBytes returns the content of key.
	GetObjectBytes(ctx context.Context, key string) ([]byte, error)
}

// Appender records the anchoring itself in the trail.
type Appender interface {
	Append(ctx context.Context, e Entry) (Entry, error)
}

// ActionAnchor is the action of the entry recording an anchoring; its
// EntityID is "<chain>@<seq>" of the head anchored.
const ActionAnchor = "audit.anchor"

// AnchorPrefix is where the anchored heads are, in the evidence bucket.
const AnchorPrefix = "audit/heads/"

// ReadAnchors reads back the heads anchored for chain ("" for every chain)
// and returns those signed by pub, by chain and seq, and the keys of the
// objects that are not a head signed by pub (written by someone else, or
// under a former key), which are not trusted. The error reports a failure
// to read the bucket.
func ReadAnchors(ctx context.Context, bucket AnchorBucket, chain string, pub ed25519.PublicKey) (heads []Head, untrusted []string, err error) {
	prefix := AnchorPrefix
	if chain != "" {
		prefix += url.PathEscape(chain) + "/"
	}
	keys, err := bucket.ListKeys(ctx, prefix)
	if err != nil {
		return nil, nil, fmt.Errorf("read audit anchors: %w", err)
	}
	for _, k := range keys {
		body, err := bucket.GetObjectBytes(ctx, k)
		if err != nil {
			return nil, nil, fmt.Errorf("read audit anchor %s: %w", k, err)
		}
		var sh SignedHead
		if json.Unmarshal(body, &sh) != nil || !sh.Verify() || !bytes.Equal(sh.PublicKey, pub) || AnchorKey(sh.Head) != k {
			untrusted = append(untrusted, k)
			continue
		}
		heads = append(heads, sh.Head)
	}
	slices.SortFunc(heads, func(a, b Head) int {
		if c := strings.Compare(a.Chain, b.Chain); c != 0 {
			return c
		}
		return int(a.Seq - b.Seq)
	})
	return heads, untrusted, nil
}

// Gap is what of a chain is not anchored yet: the entries after its last
// anchored head, which a superuser could delete (setting the head row back)
// without verification noticing.
type Gap struct {
	Chain string `json:"chain"`
	// Anchored is the last anchored head; zero Seq when the chain was never
	// anchored.
	Anchored Head `json:"anchored"`
	// Entries is how many entries follow it (the anchoring's own record is
	// one of them).
	Entries int64 `json:"entries"`
}

// Age is how long the gap has been open at now: since the last anchored
// entry was appended (0 when the chain was never anchored).
func (g Gap) Age(now time.Time) time.Duration {
	if g.Anchored.Seq == 0 {
		return 0
	}
	return now.Sub(g.Anchored.At)
}

// Gaps returns, for each verified head, the gap since the chain's last
// anchored head (anchored as ReadAnchors returns them).
func Gaps(heads, anchored []Head) []Gap {
	last := map[string]Head{}
	for _, a := range anchored {
		if a.Seq > last[a.Chain].Seq {
			last[a.Chain] = a
		}
	}
	gaps := make([]Gap, 0, len(heads))
	for _, h := range heads {
		a := last[h.Chain]
		gaps = append(gaps, Gap{Chain: h.Chain, Anchored: a, Entries: max(h.Seq-a.Seq, 0)})
	}
	return gaps
}

// Report is the outcome of verifying the trail against its anchors.
type Report struct {
	Heads []Head
	Break *Break
	Gaps  []Gap
	// Untrusted are anchor objects that are not a head signed by the
	// server's key; they were not used.
	Untrusted []string
}

// VerifyAnchored verifies chain ("" for every chain) against every head
// anchored in bucket under pub, and reports the gap since the last anchor
// of each chain.
func VerifyAnchored(ctx context.Context, chains HeadVerifier, bucket AnchorBucket, pub ed25519.PublicKey, chain string) (Report, error) {
	anchored, untrusted, err := ReadAnchors(ctx, bucket, chain, pub)
	if err != nil {
		return Report{}, err
	}
	heads, brk, err := chains.Verify(ctx, chain, anchored...)
	if err != nil {
		return Report{}, err
	}
	return Report{Heads: heads, Break: brk, Gaps: Gaps(heads, anchored), Untrusted: untrusted}, nil
}

// AnchorHeads verifies every chain against its anchors, signs each verified
// head with key and stores it in bucket under Object Lock (mode, until
// retainUntil), then records the anchoring in the trail. A chain that fails
// verification is not anchored: the returned *Break says where it broke, so
// that a broken history is never certified. A chain with nothing new since
// its last anchor (the anchoring's own record aside) is left alone, so that
// anchoring often costs nothing while nothing happens.
func AnchorHeads(ctx context.Context, chains HeadVerifier, bucket AnchorBucket, trail Appender, key ed25519.PrivateKey,
	mode string, retainUntil time.Time) ([]Anchor, *Break, error) {
	report, err := VerifyAnchored(ctx, chains, bucket, key.Public().(ed25519.PublicKey), "")
	if err != nil || report.Break != nil {
		return nil, report.Break, err
	}
	anchors := make([]Anchor, 0, len(report.Heads))
	for i, h := range report.Heads {
		if g := report.Gaps[i]; g.Anchored.Seq > 0 && g.Entries <= 1 && (g.Entries == 0 || h.Action == ActionAnchor) {
			continue
		}
		sh := SignHead(key, h)
		body, err := json.Marshal(sh)
		if err != nil {
			return anchors, nil, err
		}
		k := AnchorKey(h)
		version, err := bucket.PutLocked(ctx, k, body, "application/json", retainUntil, mode)
		if err != nil {
			return anchors, nil, fmt.Errorf("anchor %s: %w", k, err)
		}
		anchors = append(anchors, Anchor{SignedHead: sh, Key: k, VersionID: version})
		digest, err := Digest(sh)
		if err != nil {
			return anchors, nil, err
		}
		if _, err := trail.Append(ctx, Entry{Chain: h.Chain, Action: ActionAnchor, EntityType: "audit_head",
			EntityID: fmt.Sprintf("%s@%d", h.Chain, h.Seq), AfterDigest: digest}); err != nil {
			return anchors, nil, err
		}
	}
	return anchors, nil, nil
}
