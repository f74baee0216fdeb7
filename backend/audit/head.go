package audit

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// Head is the last entry of a chain at some moment: the whole chain up to it
// is fixed by its hash.
type Head struct {
	Chain string    `json:"chain"`
	Seq   int64     `json:"seq"`
	Hash  string    `json:"hash"`
	At    time.Time `json:"at"` // when the head entry was appended
	// Action is the head entry's action, so that anchoring can tell its own
	// record from new work. It is neither signed nor anchored.
	Action string `json:"-"`
}

// HeadOf returns the head whose last entry is e.
func HeadOf(e Entry) Head {
	return Head{Chain: e.Chain, Seq: e.Seq, Hash: e.Hash, At: e.At, Action: e.Action}
}

// SignedHead is a Head signed by the server's Ed25519 key. Its JSON is what
// is anchored in the evidence bucket at AnchorKey.
type SignedHead struct {
	Head
	PublicKey []byte `json:"public_key"` // ed25519.PublicKey
	Signature []byte `json:"signature"`
}

// headDomain opens the signed encoding of a head (see entry hashes).
const headDomain = "whistle.audit.head.v1"

// signedMessage is the canonical encoding of h that is signed: its fields
// length-prefixed as in Entry.ComputeHash.
func signedMessage(h Head) []byte {
	var b bytes.Buffer
	writeFields(&b, headDomain, h.Chain, strconv.FormatInt(h.Seq, 10), h.Hash, h.At.UTC().Format(time.RFC3339Nano))
	return b.Bytes()
}

// SignHead signs h with priv.
func SignHead(priv ed25519.PrivateKey, h Head) SignedHead {
	return SignedHead{
		Head:      h,
		PublicKey: priv.Public().(ed25519.PublicKey),
		Signature: ed25519.Sign(priv, signedMessage(h)),
	}
}

// Verify reports whether the signature is valid for the head under
// s.PublicKey. It proves integrity only: the caller must also check that
// s.PublicKey is the server's key (or one it used to have).
func (s SignedHead) Verify() bool {
	if len(s.PublicKey) != ed25519.PublicKeySize || len(s.Signature) != ed25519.SignatureSize {
		return false
	}
	return ed25519.Verify(ed25519.PublicKey(s.PublicKey), signedMessage(s.Head), s.Signature)
}

// AnchorKey is the object key at which the server stores the JSON of the
// SignedHead of h in the evidence bucket, under Object Lock:
// "audit/heads/<chain>/<seq, 20 digits>-<first 16 hex digits of the hash>.json".
// The zero-padded sequence number makes a listing of one chain's anchors
// come in chain order.
func AnchorKey(h Head) string {
	hash := h.Hash
	if len(hash) > 16 {
		hash = hash[:16]
	}
	return fmt.Sprintf("audit/heads/%s/%020d-%s.json", url.PathEscape(h.Chain), h.Seq, hash)
}
