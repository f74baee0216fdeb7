package authority

import (
	"fmt"
	"strings"
)

// Policy is a department's procedure rules for its own matters. Procedure is per department, not
// global: the police have their own rules, and whether an officer seconded from another department
// may act as second inspector is not settled by national law, so each department records its choice
// and the legal basis for it.
type Policy struct {
	Department string `json:"department"`
	// SingleOfficerSimpleProcedure lets one holder decide a simple-procedure warning or fine
	// (公安: one officer may decide a simple-procedure penalty).
	SingleOfficerSimpleProcedure bool `json:"single_officer_simple_procedure"`
	// SecondInspectorFromOtherResident lets an officer of another resident department or of the
	// squad act as second inspector 第二检查人 when only one holder is present.
	SecondInspectorFromOtherResident bool `json:"second_inspector_from_other_resident"`
	// SecondInspectorLegalBasis is the legal basis for SecondInspectorFromOtherResident; required
	// when it is set.
	SecondInspectorLegalBasis string `json:"second_inspector_legal_basis"`
	// MixedCrewSeizureReview flags seizures made with a second inspector of another department for
	// legal review 法制审核.
	MixedCrewSeizureReview bool `json:"mixed_crew_seizure_review"`
}

// PolicyError says which field of a Policy makes it contradictory. Field is the JSON name of the
// field; the API layer reports it as a validation failure (derrors.Invalid) on that field.
type PolicyError struct {
	Department string
	Field      string
	Reason     string
}

// Error returns "authority: policy of department ...: field: reason".
func (e *PolicyError) Error() string {
	return fmt.Sprintf("authority: policy of department %q: %s: %s", e.Department, e.Field, e.Reason)
}

// Validate refuses a contradictory policy: a second inspector from another department without a
// recorded legal basis, or a review of mixed-crew seizures that the policy never allows. It returns
// nil or a *PolicyError naming the field at fault. Decide does not apply a second-inspector
// permission from a policy that fails Validate.
func (p Policy) Validate() error {
	if p.SecondInspectorFromOtherResident && strings.TrimSpace(p.SecondInspectorLegalBasis) == "" {
		return &PolicyError{
			Department: p.Department,
			Field:      "second_inspector_legal_basis",
			Reason:     "required when second_inspector_from_other_resident is set",
		}
	}
	if p.MixedCrewSeizureReview && !p.SecondInspectorFromOtherResident {
		return &PolicyError{
			Department: p.Department,
			Field:      "mixed_crew_seizure_review",
			Reason:     "set while second_inspector_from_other_resident is not: there are no mixed-crew seizures to review",
		}
	}
	return nil
}
