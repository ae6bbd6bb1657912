//go:build !race

package ringkey_test

const raceEnabled = false
