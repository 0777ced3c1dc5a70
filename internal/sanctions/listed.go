package sanctions

// EachListed calls fn for every address listed in the versions in force,
// with its matching key (see NormalizeAddress) and its listings, from the
// in-memory index (no database read). fn must not modify ms. The labels
// package reads Bitcoin addresses on lists as labels this way.
func (s *Store) EachListed(fn func(key string, ms []Match)) {
	for k, ms := range s.idx.Load().m {
		fn(k, ms)
	}
}
