// Package mem provides pooled, reference-counted byte buffers, so message
// data can be passed between gRPC's layers without copying and reused once
// every holder has released it.
//
// This package is experimental.
package mem

import (
	"fmt"
	"google.golang.org/grpc/internal"
	"math/bits"
	"sort"
	"sync"
)

// BufferPool hands out byte slices for reuse. Implementations must be safe
// for concurrent use.
type BufferPool interface {
	// Get returns a slice of exactly length bytes, zeroed.
	Get(length int) *[]byte

	// Put gives back a slice obtained from Get. It may have been
	// re-sliced, but must start where Get's slice started so that its whole
	// capacity can be reused.
	Put(*[]byte)
}

// defaultTierExponents are 256B, 4KiB (a page), 16KiB (an HTTP/2 frame),
// 32KiB (io.Copy's buffer) and 1MiB.
var defaultTierExponents = []uint8{8, 12, 14, 15, 20}

var defaultBufferPool BufferPool

func init() {
	p, err := NewBinaryTieredBufferPool(defaultTierExponents...)
	if err != nil {
		panic(fmt.Sprintf("Failed to create default buffer pool: %v", err))
	}
	defaultBufferPool = p
	internal.SetDefaultBufferPool = func(p BufferPool) { defaultBufferPool = p }
}

// DefaultBufferPool returns the pool gRPC uses unless told otherwise: tiers
// of 256B, 4KiB, 16KiB, 32KiB and 1MiB, matching common message and frame
// sizes.
func DefaultBufferPool() BufferPool {
	return defaultBufferPool
}

// NopBufferPool allocates on every Get and drops what is Put.
type NopBufferPool struct{}

var _ BufferPool = NopBufferPool{}

// Get returns a freshly allocated buffer of the given length.
func (NopBufferPool) Get(length int) *[]byte {
	b := make([]byte, length)
	return &b
}

// Put does nothing; the buffer is left to the garbage collector.
func (NopBufferPool) Put(*[]byte) {}

// sizedPool holds buffers whose capacity is at least size.
type sizedPool struct {
	size int
	pool sync.Pool
}

// get returns a buffer of length n: zeroed, as make's, unless the caller
// overwrites it all before reading (noZero).
func (p *sizedPool) get(n int, noZero bool) *[]byte {
	if bp, ok := p.pool.Get().(*[]byte); ok {
		b := (*bp)[:n]
		if !noZero {
			clear(b)
		}
		*bp = b
		return bp
	}
	b := make([]byte, n, p.size)
	return &b
}

func (p *sizedPool) put(bp *[]byte) {
	if cap(*bp) < p.size {
		return
	}
	p.pool.Put(bp)
}

// fallbackPool serves requests larger than every tier. It keeps buffers of
// any size and hands one out only if it is big enough.
type fallbackPool struct {
	pool sync.Pool
}

const pageSize = 4096

func (p *fallbackPool) get(n int, noZero bool) *[]byte {
	if bp, ok := p.pool.Get().(*[]byte); ok {
		if cap(*bp) >= n {
			b := (*bp)[:n]
			if !noZero {
				clear(b)
			}
			*bp = b
			return bp
		}
		p.pool.Put(bp)
	}
	// Round up to a page so slightly different sizes can share buffers.
	b := make([]byte, n, (n+pageSize-1)&^(pageSize-1))
	return &b
}

func (p *fallbackPool) put(bp *[]byte) { p.pool.Put(bp) }

// tieredPool picks the smallest tier that fits a request; buffers are put
// back into the largest tier their capacity satisfies.
type tieredPool struct {
	tiers    []*sizedPool // ascending by size
	fallback fallbackPool
}

// NewTieredBufferPool returns a pool with one sub-pool per size in
// poolSizes. A request is served from the smallest tier that fits it;
// larger requests use a shared overflow pool.
func NewTieredBufferPool(poolSizes ...int) BufferPool {
	sizes := append([]int(nil), poolSizes...)
	sort.Ints(sizes)
	p := &tieredPool{}
	for _, s := range sizes {
		if len(p.tiers) > 0 && p.tiers[len(p.tiers)-1].size == s {
			continue
		}
		p.tiers = append(p.tiers, &sizedPool{size: s})
	}
	return p
}

func (p *tieredPool) Get(n int) *[]byte {
	i := sort.Search(len(p.tiers), func(i int) bool { return p.tiers[i].size >= n })
	if i == len(p.tiers) {
		return p.fallback.get(n, false)
	}
	return p.tiers[i].get(n, false)
}

func (p *tieredPool) Put(bp *[]byte) {
	c := cap(*bp)
	i := sort.Search(len(p.tiers), func(i int) bool { return p.tiers[i].size > c })
	switch {
	case i == len(p.tiers) && (i == 0 || c > p.tiers[i-1].size):
		p.fallback.put(bp)
	case i > 0:
		p.tiers[i-1].put(bp)
	}
	// Buffers smaller than the smallest tier are dropped.
}

// binaryPool maps sizes to tiers through their bit length, so Get and Put
// are O(1).
type binaryPool struct {
	tiers    []*sizedPool
	getIdx   [65]int8 // by bits.Len(n-1): index of the smallest tier >= n, -1 for fallback
	putIdx   [65]int8 // by bits.Len(c)-1: index of the largest tier <= c, -1 for none
	maxSize  int
	fallback fallbackPool
}

// NewBinaryTieredBufferPool is like NewTieredBufferPool with tiers of 2^e
// bytes for each e in powerOfTwoExponents (14 means 16KiB), which lets Get
// and Put find their tier in constant time. It fails if a size cannot be
// allocated on this platform.
func NewBinaryTieredBufferPool(powerOfTwoExponents ...uint8) (BufferPool, error) {
	exps := append([]uint8(nil), powerOfTwoExponents...)
	sort.Slice(exps, func(i, j int) bool { return exps[i] < exps[j] })
	maxExp := bits.UintSize - 2
	p := &binaryPool{}
	byExp := make([]int8, 65)
	for i := range byExp {
		byExp[i] = -1
	}
	for _, e := range exps {
		if int(e) > maxExp {
			return nil, fmt.Errorf("mem: allocating slice of size 2^%d is not possible", e)
		}
		if byExp[e] >= 0 {
			continue
		}
		byExp[e] = int8(len(p.tiers))
		p.tiers = append(p.tiers, &sizedPool{size: 1 << e})
		p.maxSize = 1 << e
	}
	next := int8(-1)
	for e := 64; e >= 0; e-- {
		if byExp[e] >= 0 {
			next = byExp[e]
		}
		p.getIdx[e] = next
	}
	prev := int8(-1)
	for e := 0; e <= 64; e++ {
		if byExp[e] >= 0 {
			prev = byExp[e]
		}
		p.putIdx[e] = prev
	}
	return p, nil
}

func (p *binaryPool) Get(n int) *[]byte { return p.get(n, false) }

// GetUninitialized is Get for a caller that overwrites all n bytes before
// it reads any: a reused buffer is not zeroed first, which for large
// messages is a noticeable share of the CPU. It is not part of BufferPool:
// callers find it by a type assertion (see getForOverwrite).
func (p *binaryPool) GetUninitialized(n int) *[]byte { return p.get(n, true) }

func (p *binaryPool) get(n int, noZero bool) *[]byte {
	if n > p.maxSize || len(p.tiers) == 0 {
		return p.fallback.get(n, noZero)
	}
	e := 0
	if n > 1 {
		e = bits.Len(uint(n - 1))
	}
	return p.tiers[p.getIdx[e]].get(n, noZero)
}

func (p *binaryPool) Put(bp *[]byte) {
	c := cap(*bp)
	if c > p.maxSize {
		p.fallback.put(bp)
		return
	}
	if c == 0 {
		return
	}
	if i := p.putIdx[bits.Len(uint(c))-1]; i >= 0 {
		p.tiers[i].put(bp)
	}
}

// getForOverwrite is pool.Get for a caller that overwrites all n bytes
// before reading any: it skips the zeroing where the pool allows it.
func getForOverwrite(pool BufferPool, n int) *[]byte {
	if p, ok := pool.(interface{ GetUninitialized(int) *[]byte }); ok {
		return p.GetUninitialized(n)
	}
	return pool.Get(n)
}
