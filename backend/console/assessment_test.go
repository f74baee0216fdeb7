package console

import (
	"math"
	"strings"
	"testing"
)

func ptr(v float64) *float64 { return &v }

// TestBarChart_Layout: bar heights are proportional to the values on the
// chart's scale (to the largest value when Max is 0), a value without data
// draws no bar, each value is labelled above its bar, groups and series
// are laid out left to right, and the SVG drawn holds exactly one bar rect
// per value with no style attribute (the console's CSP).
func TestBarChart_Layout(t *testing.T) {
	ch := barChart{ID: "chart-times", Title: "报到用时", Series: []string{"响应", "到场", "办结"},
		Groups: []barGroup{
			{Label: "应急哨", Bars: []bar{{Value: ptr(300), Label: "5.0 分钟"}, {Value: ptr(1200), Label: "20.0 分钟"}, {Value: nil, Label: "—"}}},
			{Label: "重点哨", Bars: []bar{{Value: ptr(600), Label: "10.0 分钟", Href: "/console/assessment/sj/items?figure=x"}, {Value: ptr(0), Label: "0"}, {Value: ptr(150), Label: "2.5 分钟"}}},
		}}
	l := ch.Layout()
	if len(l.Rects) != 6 || len(l.Labels) != 2 || len(l.Legend) != 3 {
		t.Fatalf("%d bars, %d group labels, %d legend items; want 6, 2, 3", len(l.Rects), len(l.Labels), len(l.Legend))
	}
	tallest := l.Rects[1]
	if tallest.H != chartPlot || tallest.Y != l.Baseline-chartPlot {
		t.Errorf("the largest value's bar is %d high at y %d, want the plot's %d at %d", tallest.H, tallest.Y, chartPlot, l.Baseline-chartPlot)
	}
	values := []float64{300, 1200, math.NaN(), 600, 0, 150}
	for i, r := range l.Rects {
		if math.IsNaN(values[i]) {
			if !r.NoData || r.H != 0 {
				t.Errorf("bar %d without data: %+v", i, r)
			}
			continue
		}
		if want := int(values[i]/1200*chartPlot + 0.5); r.H != want || r.Y+r.H != l.Baseline {
			t.Errorf("bar %d (%v): height %d from y %d, want %d standing on %d", i, values[i], r.H, r.Y, want, l.Baseline)
		}
		if r.Label.Text == "" || r.Label.Y >= r.Y || r.Label.X != r.X+r.W/2 {
			t.Errorf("bar %d's label %+v is not above the bar %+v", i, r.Label, r)
		}
		if i > 0 && i%3 != 0 && r.X <= l.Rects[i-1].X {
			t.Errorf("bar %d at x %d is not right of bar %d at %d", i, r.X, i-1, l.Rects[i-1].X)
		}
	}
	if l.Rects[3].X <= l.Rects[2].X+l.Rects[2].W {
		t.Errorf("the second group overlaps the first")
	}
	if last := l.Rects[5]; last.X+last.W > l.Width {
		t.Errorf("the last bar ends at %d, past the chart's width %d", last.X+last.W, l.Width)
	}

	t.Run("fixed scale", func(t *testing.T) {
		rates := barChart{Series: []string{"响应率"}, Max: 1, Groups: []barGroup{{Label: "sj", Bars: []bar{{Value: ptr(0.5), Label: "50.0%"}}},
			{Label: "cg", Bars: []bar{{Value: ptr(1.5), Label: "150.0%"}}}}}.Layout()
		if rates.Rects[0].H != chartPlot/2 || rates.Rects[1].H != chartPlot {
			t.Errorf("on a scale of 1: 0.5 is %d high, 1.5 is %d; want %d and %d (capped)", rates.Rects[0].H, rates.Rects[1].H, chartPlot/2, chartPlot)
		}
	})

	t.Run("SVG", func(t *testing.T) {
		svg, err := l.SVG()
		if err != nil {
			t.Fatal(err)
		}
		s := string(svg)
		if n := strings.Count(s, `<rect class="chart-bar `); n != 5 {
			t.Errorf("%d bar rects drawn, want 5 (one per value with data)", n)
		}
		for _, want := range []string{`id="chart-times"`, "5.0 分钟", "20.0 分钟", "—", "应急哨", "重点哨", "办结",
			`<a href="/console/assessment/sj/items?figure=x">`, `height="150"`} {
			if !strings.Contains(s, want) {
				t.Errorf("the SVG lacks %q", want)
			}
		}
		if strings.Contains(s, "style=") {
			t.Errorf("the SVG has a style attribute, which the CSP refuses")
		}
	})
}
