package console

import "github.com/gofiber/fiber/v2"

// adminPages are the templates of the administrator's pages: imports, certificates, matters, policies.
var adminPages = []string{}

// adminMessages are the words of those pages (keys "admin.*").
var adminMessages = map[string][2]string{}

// AdminConfig is what those pages need.
type AdminConfig struct{}

// mountAdmin registers those pages.
func (c *Console) mountAdmin(g fiber.Router) {}
