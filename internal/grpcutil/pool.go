package grpcutil

import "google.golang.org/grpc/mem"

// GetForOverwrite is pool.Get for a caller that overwrites all n bytes
// before reading any (a frame read in full, a copy, a marshal): the default
// pool then skips zeroing a reused buffer.
func GetForOverwrite(pool mem.BufferPool, n int) *[]byte {
	if p, ok := pool.(interface{ GetUninitialized(int) *[]byte }); ok {
		return p.GetUninitialized(n)
	}
	return pool.Get(n)
}
