package ring

//go:generate go run ./internal/gen
