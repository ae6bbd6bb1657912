package fixture

// Ignored is in a test file: not counted.
func Ignored() {}
