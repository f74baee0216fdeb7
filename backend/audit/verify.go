package audit

import (
	"fmt"
	"slices"
	"strings"
)

// The reasons a chain can break, for Break.Reason.
const (
	// ReasonHash: the entry's stored hash is not the hash of its fields; a
	// field was changed after the entry was written.
	ReasonHash = "hash mismatch"
	// ReasonPrevHash: the entry does not link to the stored hash of the
	// entry before it; that entry was replaced, or this one rewritten.
	ReasonPrevHash = "prev_hash does not match previous entry"
	// ReasonGap: the sequence number is not the one expected; entries were
	// deleted, inserted or reordered.
	ReasonGap = "sequence gap"
	// ReasonTruncated: the chain ends before a head it is known to have
	// reached (see Verifier.Expect); its last entries were deleted.
	ReasonTruncated = "chain ends before a known head"
	// ReasonHead: the entry at a known head's sequence number has another
	// hash than that head (see Verifier.Expect); the chain was rewritten
	// up to and including that entry.
	ReasonHead = "hash differs from a known head"
	// ReasonAnchorMissing: the chain has no entry at the sequence number of
	// a head anchored in the evidence bucket (see Verifier.ExpectAnchored);
	// the entries from there on were deleted, and the chain-head row set
	// back to hide it.
	ReasonAnchorMissing = "anchored entry missing"
	// ReasonAnchorHash: the entry at an anchored head's sequence number has
	// another hash than the anchored head; the chain was rewritten.
	ReasonAnchorHash = "hash differs from an anchored head"
)

// Break is the first broken link of a chain.
type Break struct {
	Chain string `json:"chain"`
	// Seq is the first sequence number at which the chain is not as it
	// should be: the tampered entry, or the missing one.
	Seq int64 `json:"seq"`
	// Reason is one of the Reason constants.
	Reason string `json:"reason"`
	// Detail says what was found, for people.
	Detail string `json:"detail"`
}

// String describes the break in one line.
func (b *Break) String() string {
	return fmt.Sprintf("chain %s broken at seq %d: %s (%s)", b.Chain, b.Seq, b.Reason, b.Detail)
}

// Verifier checks entries one at a time, so a store can feed a long chain
// page by page. Entries of one chain must come in Seq order starting at 1;
// chains may be interleaved. A Verifier is not safe for concurrent use.
type Verifier struct {
	last   map[string]Entry // the last entry seen, to check the next one against
	intact map[string]Entry // the last entry up to which the chain is intact
	broken map[string]bool
	expect map[string]map[int64]string // chain -> seq -> hash of known heads
	// anchored holds the heads anchored in the evidence bucket, which the
	// database cannot change: chain -> seq -> hash.
	anchored map[string]map[int64]string
}

// NewVerifier returns a Verifier that has seen no entries.
func NewVerifier() *Verifier {
	return &Verifier{
		last:     map[string]Entry{},
		intact:   map[string]Entry{},
		broken:   map[string]bool{},
		expect:   map[string]map[int64]string{},
		anchored: map[string]map[int64]string{},
	}
}

// ExpectAnchored tells the Verifier a head that was signed and anchored under
// Object Lock: the chain's entry at h.Seq must exist (else Finish reports
// ReasonAnchorMissing at h.Seq) and have hash h.Hash (else
// ReasonAnchorHash). Call it before the entries.
func (v *Verifier) ExpectAnchored(h Head) {
	if v.anchored[h.Chain] == nil {
		v.anchored[h.Chain] = map[int64]string{}
	}
	v.anchored[h.Chain][h.Seq] = h.Hash
}

// Expect tells the Verifier a head the chain is known to have reached, such
// as a signed head anchored in the evidence bucket: the chain's entry at
// h.Seq must have hash h.Hash (else ReasonHead), and the chain must reach
// h.Seq (else Finish reports ReasonTruncated). Call it before the entries.
func (v *Verifier) Expect(h Head) {
	if v.expect[h.Chain] == nil {
		v.expect[h.Chain] = map[int64]string{}
	}
	v.expect[h.Chain][h.Seq] = h.Hash
}

// Add checks e against its own hash and the previous entry of its chain, and
// returns the break it reveals, nil if none. After a break, later entries of
// that chain are checked against the broken one.
func (v *Verifier) Add(e Entry) *Break {
	b := v.check(e)
	v.last[e.Chain] = e
	if b != nil {
		v.broken[e.Chain] = true
	} else if !v.broken[e.Chain] {
		v.intact[e.Chain] = e
	}
	return b
}

func (v *Verifier) check(e Entry) *Break {
	prev, seen := v.last[e.Chain]
	wantSeq, wantPrev := int64(1), GenesisHash
	if seen {
		wantSeq, wantPrev = prev.Seq+1, prev.Hash
	}
	switch {
	case e.Seq != wantSeq:
		return &Break{Chain: e.Chain, Seq: wantSeq, Reason: ReasonGap,
			Detail: fmt.Sprintf("expected seq %d, found seq %d", wantSeq, e.Seq)}
	case e.PrevHash != wantPrev:
		return &Break{Chain: e.Chain, Seq: e.Seq, Reason: ReasonPrevHash,
			Detail: fmt.Sprintf("prev_hash %s, previous entry's hash %s", short(e.PrevHash), short(wantPrev))}
	}
	if got := e.ComputeHash(); got != e.Hash {
		return &Break{Chain: e.Chain, Seq: e.Seq, Reason: ReasonHash,
			Detail: fmt.Sprintf("stored %s, recomputed %s", short(e.Hash), short(got))}
	}
	if want, ok := v.anchored[e.Chain][e.Seq]; ok && want != e.Hash {
		return &Break{Chain: e.Chain, Seq: e.Seq, Reason: ReasonAnchorHash,
			Detail: fmt.Sprintf("entry hash %s, anchored head %s", short(e.Hash), short(want))}
	}
	if want, ok := v.expect[e.Chain][e.Seq]; ok && want != e.Hash {
		return &Break{Chain: e.Chain, Seq: e.Seq, Reason: ReasonHead,
			Detail: fmt.Sprintf("entry hash %s, known head %s", short(e.Hash), short(want))}
	}
	return nil
}

// Finish reports, after the last entry, the first chain (by name) that ends
// before a head passed to ExpectAnchored (named at the lowest anchored seq
// missing), then before one passed to Expect; nil if none.
func (v *Verifier) Finish() *Break {
	anchoredChains := make([]string, 0, len(v.anchored))
	for c := range v.anchored {
		anchoredChains = append(anchoredChains, c)
	}
	slices.Sort(anchoredChains)
	for _, c := range anchoredChains {
		last := v.last[c].Seq
		var missing []int64
		for seq := range v.anchored[c] {
			if seq > last {
				missing = append(missing, seq)
			}
		}
		if len(missing) > 0 {
			slices.Sort(missing)
			return &Break{Chain: c, Seq: missing[0], Reason: ReasonAnchorMissing,
				Detail: fmt.Sprintf("last entry is seq %d; %d anchored head(s) beyond it, the highest at seq %d",
					last, len(missing), missing[len(missing)-1])}
		}
	}
	chains := make([]string, 0, len(v.expect))
	for c := range v.expect {
		chains = append(chains, c)
	}
	slices.Sort(chains)
	for _, c := range chains {
		last := v.last[c].Seq // 0 when no entry was seen
		var highest int64
		for seq := range v.expect[c] {
			highest = max(highest, seq)
		}
		if highest > last {
			return &Break{Chain: c, Seq: last + 1, Reason: ReasonTruncated,
				Detail: fmt.Sprintf("last entry is seq %d, a known head is at seq %d", last, highest)}
		}
	}
	return nil
}

// Heads returns, by chain, the last entry up to which each chain seen is
// intact; a chain broken at its first entry has none.
func (v *Verifier) Heads() []Head {
	heads := make([]Head, 0, len(v.intact))
	for _, e := range v.intact {
		heads = append(heads, HeadOf(e))
	}
	slices.SortFunc(heads, func(a, b Head) int { return strings.Compare(a.Chain, b.Chain) })
	return heads
}

// Verify checks entries, given in Seq order per chain, and returns the first
// break, nil when every chain is intact from seq 1.
func Verify(entries []Entry) *Break {
	v := NewVerifier()
	for _, e := range entries {
		if b := v.Add(e); b != nil {
			return b
		}
	}
	return v.Finish()
}

func short(h string) string {
	if len(h) > 16 {
		return h[:16] + "…"
	}
	return h
}
