package console

import (
	"html/template"
	"strconv"
	"strings"
)

// A barChart is a chart of bars drawn server-side as inline SVG: groups
// along the x axis (a department, a whistle type), in each a bar per series
// (a step, a rate), heights on one linear scale from 0 to Max. The page
// draws the geometry Layout computes with SVG presentation attributes and
// the classes of static/assessment.css (the CSP allows no style="").
type barChart struct {
	ID     string   // the element id of the <svg>
	Title  string   // the chart's name, also the SVG's <title>
	Series []string // the legend, by series index
	Groups []barGroup
	// Max is the value of a full-height bar; 0 scales to the largest value.
	Max float64
}

// barGroup is one place along the x axis, with a bar per series.
type barGroup struct {
	Label string
	Bars  []bar // by series index
}

// bar is one value; Value nil is no data (no bar, the label says so).
type bar struct {
	Value *float64
	Label string // the value as shown ("66.7%", "20 分钟"; "—" without data)
	Href  string // what the bar counts, "" for no link
}

// The chart's frame, in SVG user units (the <svg> scales to its box).
const (
	chartHeight = 220 // the whole chart
	chartPlot   = 150 // the tallest bar
	chartTop    = 30  // above the plot: the tallest bar's label
	chartLeft   = 8
	chartBar    = 44 // a bar's width: room for its label ("4.5 小时")
	chartGap    = 8  // between the bars of a group
	chartGroup  = 32 // between groups
	chartLegend = 20 // a legend line's height
)

// chartLayout is the geometry of a chart: every number the template writes.
type chartLayout struct {
	ID, Title     string
	Width, Height int
	Baseline      int // y of the x axis
	Rects         []chartRect
	Labels        []chartText // the group labels, under the axis
	Legend        []chartLegendItem
}

// chartRect is one bar, its value label above it.
type chartRect struct {
	X, Y, W, H int
	Series     int // selects the class s0, s1, ... of the series' colour
	Label      chartText
	Href       string
	NoData     bool // no rect is drawn, only the label
}

// chartText is a text placed at X (its middle), Y (its baseline).
type chartText struct {
	X, Y int
	Text string
}

// chartLegendItem is a series' swatch and name.
type chartLegendItem struct {
	X, Y, Series int
	Text         string
}

// Layout computes the chart's geometry: each bar's height is its value's
// share of the scale's top times the plot's height (a value over the top
// is drawn full height), widths and gaps fixed, so a wider chart scrolls.
func (c barChart) Layout() chartLayout {
	top := c.Max
	if top <= 0 {
		for _, g := range c.Groups {
			for _, b := range g.Bars {
				if b.Value != nil && *b.Value > top {
					top = *b.Value
				}
			}
		}
	}
	n := len(c.Series)
	groupWidth := n*chartBar + (n-1)*chartGap
	base := chartTop + chartPlot
	l := chartLayout{ID: c.ID, Title: c.Title, Baseline: base,
		Width:  chartLeft*2 + len(c.Groups)*groupWidth + max(len(c.Groups)-1, 0)*chartGroup,
		Height: chartHeight + chartLegend*((n+2)/3)}
	for gi, g := range c.Groups {
		x0 := chartLeft + gi*(groupWidth+chartGroup)
		l.Labels = append(l.Labels, chartText{X: x0 + groupWidth/2, Y: base + 18, Text: g.Label})
		for si, b := range g.Bars {
			x := x0 + si*(chartBar+chartGap)
			r := chartRect{X: x, W: chartBar, Series: si, Href: b.Href, Label: chartText{X: x + chartBar/2, Text: b.Label}}
			if b.Value == nil {
				r.NoData, r.Y = true, base
			} else {
				h := 0
				if top > 0 {
					h = int(min(max(*b.Value, 0)/top, 1)*chartPlot + 0.5)
				}
				r.Y, r.H = base-h, h
			}
			r.Label.Y = r.Y - 6
			l.Rects = append(l.Rects, r)
		}
	}
	l.Width = max(l.Width, 3*160)
	for si, name := range c.Series {
		l.Legend = append(l.Legend, chartLegendItem{X: chartLeft + (si%3)*160, Y: chartHeight + chartLegend*(si/3), Series: si, Text: name})
	}
	return l
}

// assessmentParts are the parts every assessment page includes (a chart,
// the period picker), parsed on their own since each page is parsed with
// the layout alone.
var assessmentParts = template.Must(template.ParseFS(templateFS, "templates/assessment-parts.html"))

// part executes the part name with data, escaped as html/template escapes.
func part(name string, data any) (template.HTML, error) {
	var b strings.Builder
	if err := assessmentParts.ExecuteTemplate(&b, name, data); err != nil {
		return "", err
	}
	return template.HTML(b.String()), nil // already escaped: the output of html/template
}

// SVG is the chart drawn as inline SVG.
func (l chartLayout) SVG() (template.HTML, error) { return part("chart", l) }

// percent shows a share as a percentage, "—" without data.
func percent(v *float64) string {
	if v == nil {
		return "—"
	}
	return strconv.FormatFloat(*v*100, 'f', 1, 64) + "%"
}
