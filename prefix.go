package ring

import (
	"fmt"

	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/descriptor"
)

// privateStorage reports whether the ring's storage can hold only this
// ring's entries: one made for the ring alone by LRU, Dict or Dummy (the
// default is an LRU), with no Choose. Every other storage (Storage(s),
// Open, Disk, Redis, Memcache, and whatever Choose returns) may be shared
// with other rings, in this process or in others.
func privateStorage(cfg *config) bool {
	if cfg.choose != nil {
		return false
	}
	switch cfg.storageName {
	case "lru", "dict", "dummy", "concurrent":
		return true
	}
	return false
}

// checkDefaultPrefix refuses a default key prefix (the function's name)
// that cannot keep this ring's entries apart from those of other rings in
// store: the name of a generic function's instantiation (the runtime gives
// them all one name), and that of a function literal (every closure the
// literal makes has it) in a storage other rings may share; and, in a
// storage that outlives the process, a name that is not stable across
// builds (a function literal, a type declared inside a function) or that
// other programs have too (a function of package main).
func checkDefaultPrefix(shape *descriptor.Shape, store backends.Storage, cfg *config) error {
	private := privateStorage(cfg)
	where := store.Name()
	if cfg.choose != nil {
		where = "the storages Choose picks"
	}
	switch {
	case shape.Generic && !private:
		return fmt.Errorf("ring: %s (%s): the runtime gives every instantiation of a generic function this one name, "+
			"and the signature need not show every type argument, so the default key prefix cannot tell instantiations apart "+
			"and entries in %s, which other rings may share, could be served to another instantiation: add KeyPrefix(...) naming this instantiation",
			shape.Name, shape.Location, where)
	case shape.Closure && store.Bytes():
		return fmt.Errorf("ring: %s: a function literal's name is not stable across builds, and every closure the literal makes has it, "+
			"so entries stored in %s could be served to another function: add KeyPrefix(...)",
			shape.Name, where)
	case shape.Closure && !private:
		return fmt.Errorf("ring: %s: every closure a function literal makes has its name, so entries in %s, which other rings may share, "+
			"could be served to another closure: add KeyPrefix(...)",
			shape.Name, where)
	case shape.Main && store.Bytes():
		return fmt.Errorf("ring: %s: a function of package main has this name in every command, so entries stored in %s could be served to a same-named function of another program: add KeyPrefix(...)",
			shape.Name, where)
	case shape.LocalType && store.Bytes():
		return fmt.Errorf("ring: %s: a type declared inside a function is numbered by the compiler (·N), so this name is not stable across builds "+
			"and entries stored in %s could be served to another function after a rebuild: add KeyPrefix(...)",
			shape.Name, where)
	}
	return nil
}
