package evidence

import "strings"

// Expected is a file a record announces: the phone's client id of the
// item, and the hash and size it computed at capture.
type Expected struct {
	ClientID string
	SHA256   string // hex
	Size     int64  // 0 when the record did not declare it
}

// RecordRef is a record (an inspection, a seizure list...) as evidence sees
// it: its client id, the street of its team at the act, and the files it
// expects. Client ids are visible to anyone who sees the record's street
// lists, so they prove nothing by themselves: an item belongs to a record
// only from the record's own street, and satisfies an expected file only
// with the bytes the record declared.
type RecordRef struct {
	ID         string
	StreetCode string
	Expected   []Expected
}

// Expects returns the expected file of r with e's client id.
func (r RecordRef) Expects(e Evidence) (Expected, bool) {
	for _, x := range r.Expected {
		if x.ClientID == e.ClientID {
			return x, true
		}
	}
	return Expected{}, false
}

// belongs reports what linking and satisfying share: e is finished,
// uploaded by a member of r's street, not linked to another record, and
// names r or no record at all.
func (e Evidence) belongs(r RecordRef) bool {
	finished := e.Status == StatusVerified || e.Status == StatusQuarantined
	return finished && e.StreetCode != "" && e.StreetCode == r.StreetCode &&
		(e.LinkedRecordID == "" || e.LinkedRecordID == r.ID) &&
		(e.RecordClientID == "" || e.RecordClientID == r.ID)
}

// Satisfies reports whether e is one of the files r expects: verified,
// of r's street, naming r or no record, with the client id, the SHA-256
// and (if declared) the size r declared, and not found to be served with
// other bytes.
func (e Evidence) Satisfies(r RecordRef) bool {
	x, ok := r.Expects(e)
	return ok && e.belongs(r) && e.Status == StatusVerified && e.IntegrityFailedAt == nil &&
		strings.EqualFold(e.SHA256, x.SHA256) && (x.Size == 0 || e.Length == x.Size)
}

// LinksTo reports whether e is linked to r when both have arrived: an item
// of r's street that names r (verified or quarantined, kept with its
// record for the team leader), or that names no record and satisfies one
// of r's expected files (record_client_id is optional).
func (e Evidence) LinksTo(r RecordRef) bool {
	if !e.belongs(r) {
		return false
	}
	if e.RecordClientID == r.ID {
		return true
	}
	return e.Satisfies(r)
}

// Satisfied returns the client ids of r's expected files that one of
// items satisfies (Satisfies), in r's order: r is complete when they are
// all of them.
func Satisfied(r RecordRef, items []Evidence) []string {
	out := []string{}
	for _, x := range r.Expected {
		for _, e := range items {
			if e.ClientID == x.ClientID && e.Satisfies(r) {
				out = append(out, x.ClientID)
				break
			}
		}
	}
	return out
}
