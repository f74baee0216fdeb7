package api

import (
	"github.com/whistle/whistle/backend/audit"
	"github.com/whistle/whistle/openapi"
)

// The audit trail: its entries, the verified heads of its chains, the first
// break found, and the signed heads anchored in the evidence bucket.

func auditEntryOut(e audit.Entry) openapi.AuditEntry {
	return openapi.AuditEntry{
		Id:           e.ID,
		Seq:          e.Seq,
		Chain:        e.Chain,
		At:           e.At,
		ActorUserId:  ptr(e.ActorUserID),
		DeviceId:     ptr(e.DeviceID),
		RequestId:    ptr(e.RequestID),
		Action:       e.Action,
		EntityType:   e.EntityType,
		EntityId:     e.EntityID,
		BeforeDigest: ptr(e.BeforeDigest),
		AfterDigest:  ptr(e.AfterDigest),
		PrevHash:     e.PrevHash,
		Hash:         e.Hash,
	}
}

func auditHeadOut(h audit.Head) openapi.AuditHead {
	return openapi.AuditHead{Chain: h.Chain, Seq: h.Seq, Hash: h.Hash, At: h.At}
}

func auditGapOut(g audit.Gap) openapi.AuditGap {
	out := openapi.AuditGap{Chain: g.Chain, AnchoredSeq: g.Anchored.Seq, Entries: g.Entries}
	if g.Anchored.Seq > 0 {
		out.AnchoredAt = ptr(g.Anchored.At)
	}
	return out
}

func auditBreakOut(b audit.Break) openapi.AuditBreak {
	return openapi.AuditBreak{Chain: b.Chain, Seq: b.Seq, Reason: b.Reason, Detail: ptr(b.Detail)}
}

func auditAnchorOut(a audit.Anchor) openapi.AuditAnchor {
	return openapi.AuditAnchor{
		Chain:     a.Chain,
		Seq:       a.Seq,
		Hash:      a.Hash,
		At:        a.At,
		PublicKey: a.PublicKey,
		Signature: a.Signature,
		Key:       a.Key,
		VersionId: a.VersionID,
	}
}
