package archive

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
)

// Rule is one item of the completeness check: which check (Code, one of the checks this package
// knows), whether an unmet one blocks the closing, its weight in the score, its legal basis, its
// title in Chinese and English, and the outcomes of the cases it applies to (empty: every case).
// Rules are data: the street adds weight, makes an item optional or mandatory, narrows it to some
// outcomes, without a change of code.
type Rule struct {
	Code      string   `json:"code"`
	Mandatory bool     `json:"mandatory"`
	Weight    int      `json:"weight"`
	Basis     string   `json:"basis"`
	Title     Title    `json:"title"`
	AppliesTo []string `json:"applies_to,omitempty"`
}

// Title is a rule's title in Chinese and English.
type Title struct {
	ZH string `json:"zh"`
	EN string `json:"en"`
}

// Rules are the rules of the completeness check, in the order the check lists its items.
type Rules []Rule

// The outcomes a rule applies to: a concluded case's decision (casework.Outcome), or a withdrawn
// case (不予立案 / 撤销立案).
const (
	OutcomePenalty     = "penalty"
	OutcomeNoPenalty   = "no_penalty"
	OutcomeTransferred = "transferred"
	OutcomeWithdrawn   = "withdrawn"
)

var outcomes = []string{OutcomePenalty, OutcomeNoPenalty, OutcomeTransferred, OutcomeWithdrawn}

//go:embed rules.json
var defaultRules []byte

// DefaultRules are the built-in rules (rules.json): the law's requirements of issue 15.
func DefaultRules() Rules {
	rs, err := ParseRules(defaultRules)
	if err != nil {
		panic(err) // the embedded file is checked by the tests
	}
	return rs
}

// LoadRules reads the rules file at path (WHISTLE_ARCHIVE_RULES_FILE); "" is DefaultRules.
func LoadRules(path string) (Rules, error) {
	if path == "" {
		return DefaultRules(), nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("archive rules: %w", err)
	}
	return ParseRules(b)
}

// ParseRules reads rules from their JSON file ({"rules": [...]}), refusing a rule of a check this
// package does not know, a code given twice, a negative weight, a rule without its basis or
// titles, an unknown outcome, or no rules at all.
func ParseRules(b []byte) (Rules, error) {
	var f struct {
		Rules Rules `json:"rules"`
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("archive rules: %w", err)
	}
	if len(f.Rules) == 0 {
		return nil, fmt.Errorf("archive rules: no rules")
	}
	seen := map[string]bool{}
	for i, r := range f.Rules {
		switch {
		case checks[r.Code] == nil:
			return nil, fmt.Errorf("archive rules: rule %d: no check %q (known: %s)", i, r.Code, strings.Join(CheckCodes(), ", "))
		case seen[r.Code]:
			return nil, fmt.Errorf("archive rules: rule %q given twice", r.Code)
		case r.Weight < 0:
			return nil, fmt.Errorf("archive rules: rule %q: negative weight", r.Code)
		case strings.TrimSpace(r.Basis) == "" || strings.TrimSpace(r.Title.ZH) == "" || strings.TrimSpace(r.Title.EN) == "":
			return nil, fmt.Errorf("archive rules: rule %q needs its basis and its zh and en titles", r.Code)
		}
		for _, o := range r.AppliesTo {
			if !slices.Contains(outcomes, o) {
				return nil, fmt.Errorf("archive rules: rule %q: no outcome %q (known: %s)", r.Code, o, strings.Join(outcomes, ", "))
			}
		}
		seen[r.Code] = true
	}
	return f.Rules, nil
}

// applies reports whether r applies to a case of outcome.
func (r Rule) applies(outcome string) bool {
	return len(r.AppliesTo) == 0 || slices.Contains(r.AppliesTo, outcome)
}
