package memcachestore

// autoPipeline is the option AutoPipeline.
type autoPipeline struct{ on bool }

func (o autoPipeline) String() string {
	if o.on {
		return "memcachestore.AutoPipeline(true)"
	}
	return "memcachestore.AutoPipeline(false)"
}

func (o autoPipeline) applyMemcache(m *Store) { m.autoPipeline = &o.on }

// AutoPipeline turns the autopipelining of Get on or off (PLACEHOLDER: default
// to be decided by measurement).
func AutoPipeline(on bool) Option { return autoPipeline{on: on} }
