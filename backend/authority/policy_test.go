package authority

import (
	"errors"
	"testing"
)

func TestPolicy_Validate(t *testing.T) {
	tests := []struct {
		name      string
		policy    Policy
		wantField string // "" for a valid policy
	}{
		{"OK zero policy", Policy{Department: deptMarket}, ""},
		{"OK police single officer", Policy{Department: deptPolice, SingleOfficerSimpleProcedure: true}, ""},
		{"OK second inspector with legal basis", allowSecond(deptMarket), ""},
		{"OK second inspector with legal basis and review", allowSecondReviewed(deptMarket), ""},
		{"OK legal basis alone", Policy{Department: deptMarket, SecondInspectorLegalBasis: "授权决定"}, ""},
		{
			"ErrInvalid second inspector without legal basis",
			Policy{Department: deptMarket, SecondInspectorFromOtherResident: true},
			"second_inspector_legal_basis",
		},
		{
			"ErrInvalid second inspector with blank legal basis",
			Policy{Department: deptMarket, SecondInspectorFromOtherResident: true, SecondInspectorLegalBasis: " \t\n"},
			"second_inspector_legal_basis",
		},
		{
			"ErrInvalid review without second inspector",
			Policy{Department: deptMarket, MixedCrewSeizureReview: true},
			"mixed_crew_seizure_review",
		},
		{
			"ErrInvalid review without second inspector, legal basis present",
			Policy{Department: deptMarket, MixedCrewSeizureReview: true, SecondInspectorLegalBasis: "授权决定"},
			"mixed_crew_seizure_review",
		},
		{
			"ErrInvalid review with second inspector but no legal basis",
			Policy{Department: deptMarket, SecondInspectorFromOtherResident: true, MixedCrewSeizureReview: true},
			"second_inspector_legal_basis",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.policy.Validate()
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var pe *PolicyError
			if !errors.As(err, &pe) {
				t.Fatalf("Validate() = %v, want *PolicyError", err)
			}
			if pe.Field != tt.wantField || pe.Department != tt.policy.Department || pe.Reason == "" {
				t.Errorf("Validate() = %+v, want field %q of department %q", pe, tt.wantField, tt.policy.Department)
			}
		})
	}
}
