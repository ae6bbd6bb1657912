package ring

// KeyComponentsForTest exposes keyComponents to the external tests.
var KeyComponentsForTest = keyComponents
