package evidence

import (
	"time"

	"github.com/whistle/whistle/backend/derrors"
)

// The custody events (Event of a CustodyEntry).
const (
	EventDeclaredCapture = "declared_capture" // the capture time, place and hash the phone declared
	EventUploadStarted   = "upload_started"
	EventCompleted       = "completed" // every byte arrived
	EventVerified        = "verified"
	EventQuarantined     = "quarantined"
	EventRejected        = "rejected"
	EventTerminated      = "terminated"
	EventLocked          = "locked" // Object Lock retention applied
	EventLinked          = "linked" // its record arrived
	EventDerived         = "derived"
	EventThumbnailFailed = "thumbnail_failed" // no thumbnail could be made, with the reason
	EventViewed          = "viewed"
	EventDownloaded      = "downloaded"
	EventExported        = "exported"
	// EventIntegrityFailed: the bytes served from the verified version did
	// not hash to the verified SHA-256 (or were not its length).
	EventIntegrityFailed = "integrity_failed"
)

// CustodyEntry is one event in the chain of custody of an evidence item.
type CustodyEntry struct {
	ID          int64          `json:"id"`
	EvidenceID  string         `json:"evidence_id"`
	At          time.Time      `json:"at"`
	Event       string         `json:"event"`
	ActorUserID string         `json:"actor_user_id"`
	DeviceID    string         `json:"device_id"`
	RequestID   string         `json:"request_id"`
	Detail      map[string]any `json:"detail"`
}

// CustodyEvent is one event to append to an item's custody log.
type CustodyEvent struct {
	Event  string
	Detail map[string]any
}

// Custody is what one change of an item appends to its chain of custody:
// its events, in order, and the action of the one audit trail entry that
// vouches for them all. Records writes it in the transaction of the change.
type Custody struct {
	Action string // evidence.<what happened>
	Events []CustodyEvent
}

// custody is the change of one event, audited as evidence.<event>.
func custody(event string, detail map[string]any) Custody {
	return Custody{Action: "evidence." + event, Events: []CustodyEvent{{event, detail}}}
}

// Started is the custody of a new upload: what the phone declared about
// the capture, and the upload's start.
func Started(e Evidence, u Upload) Custody {
	declared := map[string]any{"captured_at": e.CapturedAt.Format(time.RFC3339Nano), "sha256": e.DeclaredSHA256,
		"content_type": e.DeclaredContentType, "kind": e.Kind, "length": e.Length, "client_id": e.ClientID,
		"record_client_id": e.RecordClientID}
	if e.Lat != nil && e.Lon != nil {
		declared["lat"], declared["lon"] = *e.Lat, *e.Lon
	}
	return Custody{Action: "evidence." + EventUploadStarted, Events: []CustodyEvent{
		{EventDeclaredCapture, declared},
		{EventUploadStarted, map[string]any{"upload_id": e.ID, "expires_at": u.ExpiresAt.UTC().Format(time.RFC3339)}},
	}}
}

// Finished is the custody of an upload that ended as o says: completed,
// verified (linked if its record has arrived) or quarantined, and locked;
// or rejected.
func Finished(e Evidence, o Outcome) Custody {
	lock := CustodyEvent{EventLocked, map[string]any{"object_key": o.ObjectKey, "version_id": o.VersionID, "mode": o.LockMode,
		"retain_until": timeText(o.RetainUntil)}}
	completed := CustodyEvent{EventCompleted, map[string]any{"length": e.Length, "sha256": o.SHA256}}
	var events []CustodyEvent
	switch o.Status {
	case StatusVerified:
		events = []CustodyEvent{completed,
			{EventVerified, map[string]any{"sha256": o.SHA256, "content_type": o.ContentType, "object_key": o.ObjectKey,
				"version_id": o.VersionID, "deduplicated": o.Deduplicated, "exif_discrepancies": nonNil(o.Discrepancies)}},
			lock,
		}
	case StatusQuarantined:
		events = []CustodyEvent{completed,
			{EventQuarantined, map[string]any{"sha256": o.SHA256, "declared_sha256": e.DeclaredSHA256, "object_key": o.ObjectKey,
				"version_id": o.VersionID}},
			lock,
		}
	default:
		events = []CustodyEvent{{EventRejected, map[string]any{"code": o.ProblemCode, "detail": o.ProblemDetail}}}
	}
	if o.LinkedRecord != "" {
		events = append(events, Linked(o.LinkedRecord).Events...)
	}
	return Custody{Action: "evidence." + string(o.Status), Events: events}
}

// Terminated is the custody of an upload the phone ended.
func Terminated() Custody { return custody(EventTerminated, nil) }

// Linked is the custody of an item linked to its record (client id record).
func Linked(record string) Custody {
	return custody(EventLinked, map[string]any{"record_client_id": record})
}

// IntegrityFailed is the custody of an item whose served bytes were not
// the verified ones: got is the SHA-256 (hex) of the n bytes read from its
// version.
func IntegrityFailed(e Evidence, got string, n int64) Custody {
	return custody(EventIntegrityFailed, map[string]any{"object_key": e.ObjectKey, "version_id": e.VersionID,
		"sha256": e.SHA256, "length": e.Length, "served_sha256": got, "served_length": n})
}

// Derived is the custody of a thumbnail made from an original.
func Derived(state, key string) Custody {
	return custody(EventDerived, map[string]any{"thumbnail": state, "key": key})
}

// ThumbnailFailure is the custody of a thumbnail that could not be made
// from the original, with the reason.
func ThumbnailFailure(reason string) Custody {
	return custody(EventThumbnailFailed, map[string]any{"reason": reason})
}

// Access is one access to evidence, for the custody log and the audit trail.
type Access struct {
	Event  string         // EventViewed, EventDownloaded or EventExported
	Detail map[string]any // e.g. {"what": "content"}
}

// Accessed is the custody of an access. It returns derrors.Invalid for an
// event that is not an access (a state change is never recorded as one).
func Accessed(a Access) (Custody, error) {
	switch a.Event {
	case EventViewed, EventDownloaded, EventExported:
		return custody(a.Event, a.Detail), nil
	}
	return Custody{}, derrors.Invalidf("event", "%q is not an access", a.Event)
}

func timeText(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
