package console

import "github.com/gofiber/fiber/v2"

// gridPages are the templates of the grid operator's pages: work-order intake with the duplicate suggestion, dispatch, the whistle board.
var gridPages = []string{}

// gridMessages are the words of those pages (keys "grid.*").
var gridMessages = map[string][2]string{}

// GridConfig is what those pages need.
type GridConfig struct{}

// mountGrid registers those pages.
func (c *Console) mountGrid(g fiber.Router) {}
