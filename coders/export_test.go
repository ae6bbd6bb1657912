package coders

// Unregister removes name from r, for tests that register a coder in
// Default and must leave it as they found it.
func Unregister(r *Registry, name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.coders, name)
}
