package weightedroundrobin

import "math"

// scheduler yields the index of the endpoint to use for the next RPC. It is
// shared by all concurrent picks.
type scheduler interface {
	nextIndex() int
}

// maxScaledWeight is the largest weight after scaling; weights are scaled so
// that the heaviest endpoint gets exactly this.
const maxScaledWeight = math.MaxUint16

// newScheduler builds a scheduler for the given weights, where 0 means "no
// usable weight". seq is the picker's shared, atomically incremented
// counter: every scheduler of a picker continues the same sequence.
//
// When fewer than two endpoints have a weight, or all weights end up equal,
// plain round robin is used. Otherwise endpoints without a weight get the
// mean of the others, and a stride scheduler spreads picks in proportion to
// the weights. The boolean result reports the round robin fallback.
func newScheduler(weights []float64, seq func() uint32) (scheduler, bool) {
	n := len(weights)
	var sum, largest float64
	withWeight := 0
	for _, w := range weights {
		if w > 0 {
			sum += w
			withWeight++
			largest = max(largest, w)
		}
	}
	if n <= 1 || withWeight < 2 {
		return &rrScheduler{n: uint32(n), seq: seq}, true
	}
	scale := maxScaledWeight / largest
	mean := uint16(math.Round(scale * sum / float64(withWeight)))
	scaled := make([]uint16, n)
	equal := true
	for i, w := range weights {
		if w <= 0 {
			scaled[i] = mean
			continue
		}
		scaled[i] = uint16(math.Round(scale * w))
		equal = equal && scaled[i] == mean
	}
	if equal {
		return &rrScheduler{n: uint32(n), seq: seq}, false
	}
	return &strideScheduler{weights: scaled, seq: seq}, false
}

type rrScheduler struct {
	n   uint32
	seq func() uint32
}

func (s *rrScheduler) nextIndex() int { return int(s.seq() % s.n) }

// strideScheduler is the static stride scheduler of gRFC A58 (the one
// grpc-core uses). It needs no lock and no per-pick allocation: the shared
// sequence number alone decides each pick.
//
// Sequence number k visits endpoint k%n in "round" k/n. An endpoint of
// scaled weight w is taken in w of every maxScaledWeight rounds, so over
// time it gets a share of picks proportional to w; the heaviest endpoint is
// taken in every round. Which rounds take it is decided by
// (w*round + offset) mod maxScaledWeight, spreading the taken rounds evenly,
// and the per-endpoint offset keeps endpoints of similar weight from
// skipping the same rounds together.
type strideScheduler struct {
	weights []uint16
	seq     func() uint32
}

func (s *strideScheduler) nextIndex() int {
	n := uint64(len(s.weights))
	for {
		k := uint64(s.seq())
		i := k % n
		round := k / n
		w := uint64(s.weights[i])
		offset := i * (maxScaledWeight / 2)
		if (w*round+offset)%maxScaledWeight >= maxScaledWeight-w {
			return int(i)
		}
	}
}
