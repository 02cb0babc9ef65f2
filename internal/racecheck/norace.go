//go:build !race

// Package racecheck says whether the race detector is on, so that tests
// whose point is scale (5,000 devices, 200,000 rows) run smaller or skip
// under `make race`: the detector costs 5-10x CPU and they are run at full
// size, without it, by `make test`.
package racecheck

// Enabled reports whether the binary was built with -race.
const Enabled = false
