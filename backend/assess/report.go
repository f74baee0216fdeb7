package assess

import "slices"

// Value is one figure of a department in a period.
type Value struct {
	Code      string
	Available bool
	// Value is nil when the figure is unavailable, or has no data (a rate over zero, a median
	// of no items). A count of nothing is 0.
	Value *float64
	// Numerator and Denominator are a rate's, the numerator weighted.
	Numerator, Denominator *float64
	// Missing are a composite's parts left out for want of a value (the others' weights are
	// scaled up to 1).
	Missing []string
}

// Item scores: why an item counts as it does.
const (
	WhyCounted     = "counted"     // its figure's value
	WhyUnavailable = "unavailable" // its figure is not recorded yet: left out
	WhyNoData      = "no_data"     // no data, when_no_data exclude: left out
	WhyFull        = "full"        // no data, when_no_data full
	WhyZero        = "zero"        // no data, when_no_data zero
)

// ItemScore is one item of a department's service score.
type ItemScore struct {
	Item ScoreItem
	// Value is the item's rate as counted (nil when left out).
	Value *float64
	Why   string
}

// ServiceScore is the street's service score of a department: Points times the weighted mean of
// the items counted. Points is nil when no item counts; Partial when an item was left out.
type ServiceScore struct {
	Points  *float64
	OutOf   float64
	Partial bool
	Items   []ItemScore
}

// DepartmentReport is the figures and the score of one department in a period.
type DepartmentReport struct {
	DepartmentCode string
	Values         []Value
	Score          ServiceScore
}

// Evaluate forms every figure of the table for a department from the measured values the store
// gave (by figure code; a count missing from measured is 0) and scores it.
func (c Config) Evaluate(department string, measured map[string]float64) DepartmentReport {
	vals := make(map[string]Value, len(c.Figures))
	out := DepartmentReport{DepartmentCode: department, Values: make([]Value, 0, len(c.Figures))}
	for _, fg := range c.Figures {
		v := Value{Code: fg.Code, Available: fg.Available}
		if fg.Available {
			switch fg.Kind {
			case KindCount:
				n := measured[fg.Code]
				v.Value = &n
			case KindMedian, KindP90:
				if n, ok := measured[fg.Code]; ok {
					v.Value = &n
				}
			case KindRate:
				v = rate(fg, vals)
			case KindComposite:
				v = composite(fg, vals)
			}
		}
		vals[fg.Code] = v
		out.Values = append(out.Values, v)
	}
	out.Score = c.score(vals)
	return out
}

func rate(fg Figure, vals map[string]Value) Value {
	var num float64
	for _, t := range fg.Numerator {
		num += t.Weight * *vals[t.Figure].Value
	}
	den := *vals[fg.Denominator].Value
	v := Value{Code: fg.Code, Available: true, Numerator: &num, Denominator: &den}
	if den > 0 {
		r := num / den
		v.Value = &r
	}
	return v
}

func composite(fg Figure, vals map[string]Value) Value {
	v := Value{Code: fg.Code, Available: true}
	var sum, weights float64
	for _, t := range fg.Parts {
		p := vals[t.Figure]
		if p.Value == nil {
			v.Missing = append(v.Missing, t.Figure)
			continue
		}
		sum += t.Weight * *p.Value
		weights += t.Weight
	}
	if weights > 0 {
		r := sum / weights
		v.Value = &r
	}
	return v
}

func (c Config) score(vals map[string]Value) ServiceScore {
	s := ServiceScore{OutOf: c.Score.Points, Items: make([]ItemScore, 0, len(c.Score.Items))}
	var sum, weights float64
	for _, it := range c.Score.Items {
		v := vals[it.Figure]
		is := ItemScore{Item: it}
		var x float64
		switch {
		case !v.Available:
			is.Why = WhyUnavailable
		case v.Value != nil:
			is.Why, x = WhyCounted, *v.Value
		case it.WhenNoData == NoDataFull:
			is.Why, x = WhyFull, 1
		case it.WhenNoData == NoDataZero:
			is.Why = WhyZero
		default:
			is.Why = WhyNoData
		}
		if is.Why == WhyUnavailable || is.Why == WhyNoData {
			s.Partial = true
		} else {
			is.Value = &x
			sum += it.Weight * x
			weights += it.Weight
		}
		s.Items = append(s.Items, is)
	}
	if weights > 0 {
		p := c.Score.Points * sum / weights
		s.Points = &p
	}
	return s
}

// Departments is the sorted union of the department codes of measured (department -> figures).
func Departments(measured map[string]map[string]float64) []string {
	out := make([]string, 0, len(measured))
	for d := range measured {
		out = append(out, d)
	}
	slices.Sort(out)
	return out
}
