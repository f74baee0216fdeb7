package console

import "github.com/gofiber/fiber/v2"

// assessmentPages are the templates of the assessment pages: figures per department and period, charts, CSV.
var assessmentPages = []string{}

// assessmentMessages are the words of those pages (keys "assessment.*").
var assessmentMessages = map[string][2]string{}

// AssessmentConfig is what those pages need.
type AssessmentConfig struct{}

// mountAssessment registers those pages.
func (c *Console) mountAssessment(g fiber.Router) {}
