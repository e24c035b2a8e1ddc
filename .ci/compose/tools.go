//go:build tools

// The upstream main package build.sh compiles from this module (go.mod/go.sum pin it and its dependencies).
package tools

import (
	_ "github.com/docker/compose/v5/cmd" // Docker Compose: `docker compose` (the CLI plugin) and docker-compose
)
