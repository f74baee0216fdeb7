package console

import "github.com/gofiber/fiber/v2"

// teamPages are the templates of the team leader's further pages: the team's devices, a work order, a whistle.
var teamPages = []string{}

// teamMessages are the words of those pages (keys "team.*").
var teamMessages = map[string][2]string{}

// TeamConfig is what those pages need.
type TeamConfig struct{}

// mountTeam registers those pages.
func (c *Console) mountTeam(g fiber.Router) {}
