package assess

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"
)

// Kind is how a figure's value is had.
type Kind string

// The kinds of figure. Count, median and p90 figures are measured by the store over the items a
// figure selects; rates and composites are formed here from other figures.
const (
	KindCount     Kind = "count"          // the number of items
	KindMedian    Kind = "median_seconds" // the median of the items' seconds
	KindP90       Kind = "p90_seconds"    // the 90th percentile of the items' seconds
	KindRate      Kind = "rate"           // weighted numerator figures over a denominator figure
	KindComposite Kind = "composite"      // weighted rates, renormalised over those with a value
)

// Measured reports whether the store measures figures of kind k.
func (k Kind) Measured() bool { return k == KindCount || k == KindMedian || k == KindP90 }

// Title is a name in Chinese and English.
type Title struct {
	ZH string `json:"zh"`
	EN string `json:"en"`
}

// Term is a figure with its weight in a rate's numerator or a composite.
type Term struct {
	Figure string  `json:"figure"`
	Weight float64 `json:"weight"`
}

// Figure is one row of the figure table: what is counted or formed, from what, and why.
type Figure struct {
	Code string `json:"code"`
	Kind Kind   `json:"kind"`
	// Available is false for a figure whose data is not recorded (a district's own figure
	// awaiting its data): it is defined and shown, without a value. A rate or composite is
	// available when its inputs are.
	Available bool  `json:"available"`
	Title     Title `json:"title"`
	// Counts names the items a measured figure selects (routing, objection, evidence_review,
	// case, work_order, whistle, whistle_report, whistle_step, whistle_objection,
	// whistle_rating): what its link lists.
	Counts      string `json:"counts,omitempty"`
	Numerator   []Term `json:"numerator,omitempty"`
	Denominator string `json:"denominator,omitempty"`
	Parts       []Term `json:"parts,omitempty"`
	Definition  string `json:"definition"`
	// Source is where the definition comes from, in one line.
	Source string `json:"source"`
}

// NoData says what a score item is worth when its figure has no value (a rate over zero).
type NoData string

// The policies for an item without data.
const (
	NoDataExclude NoData = "exclude" // left out; the other items' weights are scaled up to 1
	NoDataFull    NoData = "full"    // full marks (nothing to hold against the department)
	NoDataZero    NoData = "zero"    // no marks
)

// ScoreItem is one item of the street's service score: a rate figure and its weight.
type ScoreItem struct {
	Code       string  `json:"code"`
	Title      Title   `json:"title"`
	Figure     string  `json:"figure"`
	Weight     float64 `json:"weight"`
	WhenNoData NoData  `json:"when_no_data"`
}

// Score is the street's service score of each department: Points (10) times the weighted mean
// of its items' rates.
type Score struct {
	Points float64     `json:"points"`
	Basis  string      `json:"basis"`
	Items  []ScoreItem `json:"items"`
}

// Config is the assessment's configuration: the figure table, the response limit of work
// orders, and the service score.
type Config struct {
	// ResponseWithin is how soon after receipt a work order must be acted on to count as
	// answered (work_orders_responded).
	ResponseWithin time.Duration
	Figures        []Figure
	Score          Score
	byCode         map[string]int
}

//go:embed figures.json
var defaultConfig []byte

// DefaultConfig is the built-in configuration (figures.json).
func DefaultConfig() Config {
	c, err := ParseConfig(defaultConfig)
	if err != nil {
		panic(err) // the embedded file is checked by the tests
	}
	return c
}

// LoadConfig reads the configuration file at path (WHISTLE_ASSESS_FILE); "" is DefaultConfig.
func LoadConfig(path string) (Config, error) {
	if path == "" {
		return DefaultConfig(), nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("assessment: %w", err)
	}
	return ParseConfig(b)
}

// ParseConfig reads a configuration ({"response_within", "figures", "score"}), refusing an
// unknown field, a code given twice, an unknown kind, a rate or composite naming a figure not
// defined before it or of the wrong kind, a negative weight, a score item that is not a rate,
// and a figure without its definition or source.
func ParseConfig(b []byte) (Config, error) {
	var f struct {
		ResponseWithin string   `json:"response_within"`
		Figures        []Figure `json:"figures"`
		Score          Score    `json:"score"`
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return Config{}, fmt.Errorf("assessment: %w", err)
	}
	d, err := time.ParseDuration(f.ResponseWithin)
	if err != nil || d <= 0 {
		return Config{}, fmt.Errorf("assessment: response_within %q is a positive duration (24h)", f.ResponseWithin)
	}
	c := Config{ResponseWithin: d, Figures: f.Figures, Score: f.Score, byCode: map[string]int{}}
	for i, fg := range c.Figures {
		if err := c.check(fg); err != nil {
			return Config{}, fmt.Errorf("assessment: figure %d (%s): %w", i, fg.Code, err)
		}
		if !fg.Kind.Measured() {
			c.Figures[i].Available = c.inputsAvailable(fg)
		}
		c.byCode[fg.Code] = i
	}
	if c.Score.Points <= 0 {
		return Config{}, fmt.Errorf("assessment: score points must be positive")
	}
	seen := map[string]bool{}
	for _, it := range c.Score.Items {
		fg, ok := c.Figure(it.Figure)
		switch {
		case seen[it.Code] || it.Code == "":
			return Config{}, fmt.Errorf("assessment: score item %q given twice or without a code", it.Code)
		case !ok || (fg.Kind != KindRate && fg.Kind != KindComposite):
			return Config{}, fmt.Errorf("assessment: score item %s: %q is no rate", it.Code, it.Figure)
		case it.Weight < 0:
			return Config{}, fmt.Errorf("assessment: score item %s: negative weight", it.Code)
		case it.WhenNoData != NoDataExclude && it.WhenNoData != NoDataFull && it.WhenNoData != NoDataZero:
			return Config{}, fmt.Errorf("assessment: score item %s: when_no_data is exclude, full or zero", it.Code)
		}
		seen[it.Code] = true
	}
	return c, nil
}

// check judges one figure against those defined before it.
func (c Config) check(fg Figure) error {
	if fg.Code == "" || fg.Definition == "" || fg.Source == "" || fg.Title.ZH == "" || fg.Title.EN == "" {
		return fmt.Errorf("a figure has its code, titles, definition and source")
	}
	if _, dup := c.byCode[fg.Code]; dup {
		return fmt.Errorf("given twice")
	}
	input := func(code string, kinds ...Kind) error {
		i, ok := c.byCode[code]
		if !ok {
			return fmt.Errorf("names %q, not defined before it", code)
		}
		for _, k := range kinds {
			if c.Figures[i].Kind == k {
				return nil
			}
		}
		return fmt.Errorf("names %q of kind %s", code, c.Figures[i].Kind)
	}
	switch fg.Kind {
	case KindCount, KindMedian, KindP90:
		if fg.Counts == "" || len(fg.Numerator)+len(fg.Parts) > 0 || fg.Denominator != "" {
			return fmt.Errorf("a measured figure names what it counts and nothing else")
		}
	case KindRate:
		if len(fg.Numerator) == 0 {
			return fmt.Errorf("a rate has a numerator")
		}
		for _, t := range append(fg.Numerator, Term{Figure: fg.Denominator, Weight: 1}) {
			if err := input(t.Figure, KindCount); err != nil {
				return err
			}
			if t.Weight < 0 {
				return fmt.Errorf("negative weight")
			}
		}
	case KindComposite:
		if len(fg.Parts) == 0 {
			return fmt.Errorf("a composite has parts")
		}
		for _, t := range fg.Parts {
			if err := input(t.Figure, KindRate); err != nil {
				return err
			}
			if t.Weight < 0 {
				return fmt.Errorf("negative weight")
			}
		}
	default:
		return fmt.Errorf("unknown kind %q", fg.Kind)
	}
	return nil
}

// inputsAvailable reports whether the figures a rate or composite is formed from are available
// (a composite: at least one part).
func (c Config) inputsAvailable(fg Figure) bool {
	avail := func(code string) bool { return c.Figures[c.byCode[code]].Available }
	if fg.Kind == KindComposite {
		for _, t := range fg.Parts {
			if avail(t.Figure) {
				return true
			}
		}
		return false
	}
	for _, t := range append(fg.Numerator, Term{Figure: fg.Denominator}) {
		if !avail(t.Figure) {
			return false
		}
	}
	return true
}

// Figure returns the figure of code.
func (c Config) Figure(code string) (Figure, bool) {
	i, ok := c.byCode[code]
	if !ok {
		return Figure{}, false
	}
	return c.Figures[i], true
}

// Measured returns the codes of the available figures the store measures, in table order.
func (c Config) Measured() []string {
	var out []string
	for _, fg := range c.Figures {
		if fg.Kind.Measured() && fg.Available {
			out = append(out, fg.Code)
		}
	}
	return out
}
